#include "mcap/mcap_writer.hpp"

#include <fmt/format.h>
#include <zstd.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <limits>
#include <mutex>
#include <thread>
#include <vector>

#include "copper/version.hpp"

namespace copper::mcap {
namespace {

constexpr size_t kFlushBytes = size_t{4} << 20;
constexpr size_t kWriteThrough = size_t{256} << 10;  // larger blocks skip the output buffer
constexpr size_t kMaxIds = std::numeric_limits<uint16_t>::max();
// Closed chunks waiting for the compressor thread; one more closing finds
// it behind and is compressed by the caller (Writer::Impl::close_chunk).
constexpr size_t kQueuedChunks = 1;

struct ZstdContext {
  ZSTD_CCtx* context = ZSTD_createCCtx();
  ZstdContext() = default;
  ZstdContext(const ZstdContext&) = delete;
  ZstdContext& operator=(const ZstdContext&) = delete;
  ~ZstdContext() { ZSTD_freeCCtx(context); }
};

// A chunk: its records and, per channel, its messages' index entries;
// once closed and packed, the records' CRC and what the file holds of them.
struct OpenChunk {
  Bytes records;
  uint64_t start_time = std::numeric_limits<uint64_t>::max();
  uint64_t end_time = 0;
  uint64_t messages = 0;
  std::vector<uint16_t> channels;                                 // in order of first message
  std::vector<std::vector<std::pair<uint64_t, uint64_t>>> index;  // by channel id
  bool packed = false;
  uint32_t records_crc = 0;
  bool zstd_used = false;
  Bytes compressed;  // the records under zstd, when zstd_used

  std::string_view stored() const { return zstd_used ? std::string_view(compressed) : std::string_view(records); }

  void clear() {
    packed = false;
    zstd_used = false;
    records.clear();
    start_time = std::numeric_limits<uint64_t>::max();
    end_time = 0;
    messages = 0;
    for (uint16_t channel : channels) index[channel].clear();
    channels.clear();
  }
};

}  // namespace

struct Writer::Impl {
  std::ostream& out;
  WriterOptions options;
  Bytes pending;          // file bytes not yet handed to the stream
  uint64_t position = 0;  // file offset of pending's end
  uint32_t data_crc = 0;  // of every byte so far, while in the data section
  bool in_data = true;
  bool finished = false;

  std::vector<Schema> schemas;
  std::vector<Channel> channels;
  std::vector<uint64_t> channel_counts;  // by channel id
  OpenChunk chunk;
  size_t message_start = 0;  // content start of the message being built
  std::unique_ptr<ZstdContext> caller_zstd, compressor_zstd;

  // The compressor thread (CRC, zstd, writing) and the closed chunks handed
  // over to it, in file order. While a chunk is queued or being written,
  // only the compressor touches the file's state above and below (pending,
  // position, data_crc, the chunk indexes); the caller's thread drains it
  // before touching them.
  std::thread compressor;
  std::mutex mutex;
  std::condition_variable changed;
  std::deque<OpenChunk> queue;
  std::vector<OpenChunk> spare;  // written chunks, their buffers reused
  bool busy = false;
  bool stopping = false;

  std::vector<ChunkIndex> chunk_indexes;
  std::vector<AttachmentIndex> attachment_indexes;
  std::vector<MetadataIndex> metadata_indexes;
  Statistics statistics;

  Impl(std::ostream& stream, WriterOptions opts) : out(stream), options(std::move(opts)) {
    if (options.compression == ChunkCompression::zstd) {
      caller_zstd = std::make_unique<ZstdContext>();
      compressor_zstd = std::make_unique<ZstdContext>();
    }
    compressor = std::thread([this] { compress_loop(); });
    statistics.message_start_time = std::numeric_limits<uint64_t>::max();
  }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl() { stop_compressor(); }

  void flush_pending() {
    out.write(pending.data(), static_cast<std::streamsize>(pending.size()));
    pending.clear();
  }

  // `known_crc`: the CRC of `bytes` when the caller has it (uncompressed
  // chunk records), combined into the data section's instead of recomputed.
  void emit(std::string_view bytes, const uint32_t* known_crc = nullptr) {
    if (in_data) data_crc = known_crc ? crc32_concat(data_crc, *known_crc, bytes.size()) : crc32(data_crc, bytes);
    position += bytes.size();
    if (bytes.size() >= kWriteThrough) {
      flush_pending();
      out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
      return;
    }
    pending.append(bytes);
    if (pending.size() >= kFlushBytes) flush_pending();
  }

  // Builds a record with `append` and writes it; returns its file offset.
  template <class Append>
  uint64_t emit_record(Append append) {
    Bytes record;
    append(record);
    const uint64_t offset = position;
    emit(record);
    return offset;
  }

  // The CRC of a closed chunk's records and, under zstd, their compressed
  // form: the costly part of writing a chunk, done on either thread.
  void pack(OpenChunk& closed, ZstdContext* zstd) const {
    const std::string_view records = closed.records;
    closed.records_crc = crc32(0, records);
    closed.zstd_used = false;
    if (zstd) {
      closed.compressed.resize(ZSTD_compressBound(records.size()));
      const size_t n = ZSTD_compressCCtx(zstd->context, closed.compressed.data(), closed.compressed.size(),
                                         records.data(), records.size(), options.zstd_level);
      // Only a bug makes compression of a bounded buffer fail; keep the
      // records uncompressed rather than lose them.
      if (!ZSTD_isError(n)) {
        closed.compressed.resize(n);
        closed.zstd_used = true;
      }
    }
    closed.packed = true;
  }

  // Writes a packed chunk with its message indexes (on the compressor
  // thread), in file order.
  void write_chunk(OpenChunk& closed) {
    const std::string_view records = closed.records;
    const std::string_view stored = closed.stored();
    ChunkHead head;
    head.message_start_time = closed.messages ? closed.start_time : 0;
    head.message_end_time = closed.end_time;
    head.uncompressed_size = records.size();
    head.uncompressed_crc = closed.records_crc;
    head.compression = closed.zstd_used ? "zstd" : "";
    ChunkIndex index;
    index.chunk_start_offset = position;
    Bytes chunk_head;
    append_chunk_head(chunk_head, head, stored.size());
    emit(chunk_head);
    emit(stored, closed.zstd_used ? nullptr : &head.uncompressed_crc);
    index.chunk_length = position - index.chunk_start_offset;
    const uint64_t indexes_start = position;
    std::sort(closed.channels.begin(), closed.channels.end());
    for (uint16_t channel : closed.channels) {
      const uint64_t at = emit_record([&](Bytes& b) { append_message_index(b, channel, closed.index[channel]); });
      index.message_index_offsets.emplace_back(channel, at);
    }
    index.message_start_time = head.message_start_time;
    index.message_end_time = head.message_end_time;
    index.message_index_length = position - indexes_start;
    index.compression = head.compression;
    index.compressed_size = stored.size();
    index.uncompressed_size = records.size();
    chunk_indexes.push_back(std::move(index));
    closed.clear();
  }

  // Hands the open chunk over to the compressor thread. When it is behind
  // (kQueuedChunks already wait), the caller packs this chunk itself
  // before waiting for room: zstd then runs on both cores, and the thread
  // only writes what the caller packed.
  void close_chunk() {
    if (chunk.records.empty()) return;
    std::unique_lock lock(mutex);
    if (queue.size() >= kQueuedChunks) {
      lock.unlock();
      pack(chunk, caller_zstd.get());
      lock.lock();
      changed.wait(lock, [&] { return queue.size() < kQueuedChunks; });
    }
    queue.push_back(std::move(chunk));
    chunk = OpenChunk();
    if (!spare.empty()) {
      chunk = std::move(spare.back());
      spare.pop_back();
    }
    changed.notify_all();
  }

  // Waits until every closed chunk is written: the file's state (position,
  // CRC, indexes) is the calling thread's again.
  void drain() {
    std::unique_lock lock(mutex);
    changed.wait(lock, [&] { return queue.empty() && !busy; });
  }

  void compress_loop() {
    std::unique_lock lock(mutex);
    for (;;) {
      changed.wait(lock, [&] { return !queue.empty() || stopping; });
      if (queue.empty()) return;
      OpenChunk working = std::move(queue.front());
      queue.pop_front();
      busy = true;
      changed.notify_all();
      lock.unlock();
      if (!working.packed) pack(working, compressor_zstd.get());
      write_chunk(working);
      lock.lock();
      spare.push_back(std::move(working));
      busy = false;
      changed.notify_all();
    }
  }

  void stop_compressor() {
    if (!compressor.joinable()) return;
    {
      std::lock_guard lock(mutex);
      stopping = true;
    }
    changed.notify_all();
    compressor.join();
  }

  // Records that go outside chunks keep their place in time: the open chunk
  // is written first.
  void before_unchunked_record() {
    close_chunk();
    drain();
  }

  Status write_summary() {
    before_unchunked_record();
    stop_compressor();
    emit_record([&](Bytes& b) { append_data_end(b, data_crc); });
    in_data = false;
    const uint64_t summary_start = position;
    uint32_t summary_crc = 0;
    std::vector<SummaryOffset> offsets;
    auto group = [&](Opcode opcode, auto append_all) {
      Bytes bytes;
      append_all(bytes);
      if (bytes.empty()) return;
      offsets.push_back({opcode, position, bytes.size()});
      summary_crc = crc32(summary_crc, bytes);
      emit(bytes);
    };
    group(Opcode::schema, [&](Bytes& b) {
      for (const Schema& s : schemas) append_schema(b, s);
    });
    group(Opcode::channel, [&](Bytes& b) {
      for (const Channel& c : channels) append_channel(b, c);
    });
    group(Opcode::statistics, [&](Bytes& b) { append_statistics(b, final_statistics()); });
    group(Opcode::chunk_index, [&](Bytes& b) {
      for (const ChunkIndex& i : chunk_indexes) append_chunk_index(b, i);
    });
    group(Opcode::metadata_index, [&](Bytes& b) {
      for (const MetadataIndex& i : metadata_indexes) append_metadata_index(b, i);
    });
    group(Opcode::attachment_index, [&](Bytes& b) {
      for (const AttachmentIndex& i : attachment_indexes) append_attachment_index(b, i);
    });
    const uint64_t summary_offset_start = position;
    Bytes tail;
    for (const SummaryOffset& offset : offsets) append_summary_offset(tail, offset);
    append_footer(tail, summary_start, summary_offset_start, 0);
    // The summary CRC runs from the summary's first byte through the
    // Footer's summary_offset_start.
    summary_crc = crc32(summary_crc, std::string_view(tail).substr(0, tail.size() - 4));
    for (size_t i = 0; i < 4; ++i) tail[tail.size() - 4 + i] = static_cast<char>((summary_crc >> (8 * i)) & 0xFF);
    emit(tail);
    emit(kMagic);
    flush_pending();
    out.flush();
    if (!out) return Status::io_error("the MCAP file could not be written");
    return {};
  }

  Statistics final_statistics() const {
    Statistics s = statistics;
    s.schema_count = static_cast<uint16_t>(schemas.size());
    s.channel_count = static_cast<uint32_t>(channels.size());
    s.attachment_count = static_cast<uint32_t>(attachment_indexes.size());
    s.metadata_count = static_cast<uint32_t>(metadata_indexes.size());
    s.chunk_count = static_cast<uint32_t>(chunk_indexes.size());
    if (s.message_count == 0) s.message_start_time = 0;
    for (const Channel& c : channels) s.channel_message_counts.emplace_back(c.id, channel_counts[c.id]);
    return s;
  }
};

std::string library_name() { return fmt::format("copper {}", kVersion); }

Writer::Writer(std::ostream& out, WriterOptions options) : impl_(std::make_unique<Impl>(out, std::move(options))) {
  Impl& w = *impl_;
  w.emit(kMagic);
  w.emit_record([&](Bytes& b) {
    append_header(b, w.options.profile, w.options.library.empty() ? library_name() : w.options.library);
  });
  w.channel_counts.push_back(0);  // ids start at 1: index 0 unused
  w.chunk.index.emplace_back();
}

Writer::Writer(Writer&&) noexcept = default;
Writer& Writer::operator=(Writer&&) noexcept = default;
Writer::~Writer() = default;

Result<uint16_t> Writer::add_schema(std::string_view name, std::string_view encoding, std::string_view data) {
  Impl& w = *impl_;
  for (const Schema& s : w.schemas)
    if (s.name == name && s.encoding == encoding && s.data == data) return s.id;
  if (w.schemas.size() >= kMaxIds) return Status::error("more schemas than an MCAP file can hold (65535)");
  Schema schema{static_cast<uint16_t>(w.schemas.size() + 1), std::string(name), std::string(encoding),
                std::string(data)};
  w.before_unchunked_record();
  w.emit_record([&](Bytes& b) { append_schema(b, schema); });
  w.schemas.push_back(std::move(schema));
  return w.schemas.back().id;
}

Result<uint16_t> Writer::add_channel(uint16_t schema_id, std::string_view topic, std::string_view message_encoding,
                                     KeyValues metadata) {
  Impl& w = *impl_;
  if (w.channels.size() >= kMaxIds) return Status::error("more channels than an MCAP file can hold (65535)");
  Channel channel{static_cast<uint16_t>(w.channels.size() + 1), schema_id, std::string(topic),
                  std::string(message_encoding), std::move(metadata)};
  w.before_unchunked_record();
  w.emit_record([&](Bytes& b) { append_channel(b, channel); });
  w.channels.push_back(std::move(channel));
  w.channel_counts.push_back(0);
  w.chunk.index.emplace_back();
  return w.channels.back().id;
}

Bytes& Writer::begin_message(uint16_t channel_id, uint64_t log_time, uint64_t publish_time) {
  Impl& w = *impl_;
  const auto sequence = static_cast<uint32_t>(w.channel_counts[channel_id]);
  if (channel_id >= w.chunk.index.size()) w.chunk.index.resize(channel_id + 1u);  // a buffer back from the compressor
  auto& entries = w.chunk.index[channel_id];
  if (entries.empty()) w.chunk.channels.push_back(channel_id);
  entries.emplace_back(log_time, w.chunk.records.size());
  w.message_start = mcap::begin_message(w.chunk.records, {channel_id, sequence, log_time, publish_time});
  ++w.channel_counts[channel_id];
  ++w.chunk.messages;
  w.chunk.start_time = std::min(w.chunk.start_time, log_time);
  w.chunk.end_time = std::max(w.chunk.end_time, log_time);
  Statistics& s = w.statistics;
  ++s.message_count;
  s.message_start_time = std::min(s.message_start_time, log_time);
  s.message_end_time = std::max(s.message_end_time, log_time);
  return w.chunk.records;
}

void Writer::end_message() {
  Impl& w = *impl_;
  end_record(w.chunk.records, w.message_start);
  if (w.chunk.records.size() >= w.options.chunk_size) w.close_chunk();
}

void Writer::add_message(uint16_t channel_id, uint64_t log_time, uint64_t publish_time, std::string_view data) {
  begin_message(channel_id, log_time, publish_time).append(data);
  end_message();
}

void Writer::add_metadata(std::string_view name, const KeyValues& metadata) {
  Impl& w = *impl_;
  w.before_unchunked_record();
  const uint64_t start = w.position;
  w.emit_record([&](Bytes& b) { append_metadata(b, name, metadata); });
  w.metadata_indexes.push_back({start, w.position - start, std::string(name)});
}

void Writer::add_attachment(const Attachment& attachment) {
  Impl& w = *impl_;
  w.before_unchunked_record();
  const uint64_t start = w.position;
  w.emit_record([&](Bytes& b) { append_attachment(b, attachment); });
  w.attachment_indexes.push_back({start, w.position - start, attachment.log_time, attachment.create_time,
                                  attachment.data.size(), attachment.name, attachment.media_type});
}

Status Writer::finish() {
  Impl& w = *impl_;
  if (w.finished) return Status::error("the MCAP writer is already finished");
  w.finished = true;
  return w.write_summary();
}

uint64_t Writer::bytes_written() const {
  impl_->drain();
  return impl_->position;
}
uint64_t Writer::message_count() const { return impl_->statistics.message_count; }

}  // namespace copper::mcap
