#include "normalize.hpp"

#include "log/layout.hpp"

#include <cstring>
#include <deque>
#include <map>
#include <string>
#include <string_view>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace corpus {
namespace {

std::string hex(std::span<const uint8_t> bytes) {
  std::string out;
  for (uint8_t b : bytes) out += fmt::format("{:02x}", b);
  return out;
}

std::string dump(const nlohmann::json& json) {
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Bytes to_bytes(std::string_view text) { return Bytes(text.begin(), text.end()); }

nlohmann::json parse_json(const Rec& rec) { return nlohmann::json::parse(rec.payload.begin(), rec.payload.end()); }

void patch_metadata(Rec& rec) {
  nlohmann::json metadata = parse_json(rec);
  metadata["run_id"] = hex(kRunId);
  metadata["created_unix_ns"] = kCreatedNs;
  rec.payload = to_bytes(dump(metadata));
}

// Task stamps that depend only on the copperlist's time: task t ran from
// time + 1000 t for 500 ns. A task that never ran keeps zeros when asked.
void restamp_tasks(uint8_t* entry, uint32_t tasks, bool skip_not_run) {
  const int64_t time = lg::EntryHeader::decode(entry).time_ns;
  for (uint32_t t = 0; t < tasks; ++t) {
    uint8_t* task = entry + lg::EntryHeader::kSize + t * lg::TaskTimingLayout::kSize;
    uint8_t status = 0;
    (void)lg::TaskTimingLayout::decode(task, status);
    if (skip_not_run && status == 0) continue;
    const int64_t start = time + 1000 * static_cast<int64_t>(t);
    lg::TaskTimingLayout::encode(task, start, start + 500, static_cast<copper::TaskStatus>(status));
  }
}

void patch_copperlists(Rec& rec) {
  Bytes& p = rec.payload;
  require(p.size() >= lg::CopperlistsHeader::kSize, "short copperlists payload");
  const lg::CopperlistsHeader head = lg::CopperlistsHeader::decode(p.data());
  size_t at = lg::CopperlistsHeader::kSize;
  for (uint32_t i = 0; i < head.cl_count; ++i) {
    require(at + lg::EntryHeader::kSize <= p.size(), "short copperlist entry");
    const lg::EntryHeader entry = lg::EntryHeader::decode(p.data() + at);
    const uint64_t size = lg::EntryHeader::kLengthField + entry.length;
    require(at + size <= p.size() && size >= lg::entry_fixed_size(head.task_count, 0), "short copperlist entry");
    restamp_tasks(p.data() + at, head.task_count, false);
    at += size;
  }
  require(at == p.size(), "copperlists payload has trailing bytes");
}

// The failing copperlist of a failure record: task stamps as for the
// copperlists, for the tasks that ran (a task that never ran keeps zeros).
void patch_failure(Rec& rec, uint32_t tasks) {
  Bytes& p = rec.payload;
  require(p.size() >= lg::FailureHeader::kSize, "short failure payload");
  const lg::FailureHeader head = lg::FailureHeader::decode(p.data());
  const size_t words = lg::FailureHeader::kSize + size_t{head.phase_length} + head.task_length + head.message_length;
  require(p.size() >= words + lg::entry_fixed_size(tasks, 0), "short failure entry");
  restamp_tasks(p.data() + words, tasks, true);
}

void patch_string(Rec& rec) {
  // The file as a path from the source tree, whatever the build's folder.
  const Bytes& p = rec.payload;
  constexpr size_t kFixed = lg::StringHeader::kSize + lg::StringHeader::kFormatLengthSize;
  require(p.size() >= kFixed, "short string payload");
  lg::StringHeader head = lg::StringHeader::decode(p.data());
  require(p.size() >= kFixed + head.file_length, "short string payload");
  const auto file_at = p.begin() + lg::StringHeader::kSize;
  std::string file(file_at, file_at + head.file_length);
  while (file.starts_with("../")) file.erase(0, 3);
  Bytes out(lg::StringHeader::kSize);
  const auto old_file_length = head.file_length;
  head.file_length = static_cast<uint16_t>(file.size());
  head.encode(out.data());
  out.insert(out.end(), file.begin(), file.end());
  out.insert(out.end(), file_at + old_file_length, p.end());
  rec.payload = std::move(out);
}

void patch_event(Rec& rec) {
  require(rec.payload.size() >= lg::EventHeader::kSize, "short event payload");
  lg::EventHeader head = lg::EventHeader::decode(rec.payload.data());
  head.time_ns = kCreatedNs + static_cast<int64_t>(head.cl_id) * kCycleNs;
  head.encode(rec.payload.data());
}

void patch_sync_time(Rec& rec) {
  require(rec.payload.size() == lg::SyncLayout::kSize, "bad sync payload");
  copper::log::SyncMark mark = lg::SyncLayout::decode(rec.payload.data());
  mark.time_ns = kCreatedNs + static_cast<int64_t>(mark.durable_cls) * kCycleNs;
  lg::SyncLayout::encode(rec.payload.data(), mark);
}

// The zstd writer appends a batch when the compressor has finished it; this
// puts each one where an instant compressor would have had it appended.
std::vector<Rec> canonical_batch_order(std::vector<Rec> records) {
  std::deque<Rec> batches;
  std::vector<Rec> others;
  for (Rec& rec : records) {
    if (is(rec, lg::RecordType::copperlists))
      batches.push_back(std::move(rec));
    else
      others.push_back(std::move(rec));
  }
  std::vector<Rec> out;
  for (Rec& rec : others) {
    if (is(rec, lg::RecordType::text)) {
      require(rec.payload.size() >= 12 && lg::load_le<uint32_t>(rec.payload.data()) > 0, "empty text record");
      const uint64_t cl_id = lg::load_le<uint64_t>(rec.payload.data() + 4);
      while (!batches.empty() && cl_range(batches.front()).second < cl_id) {
        out.push_back(std::move(batches.front()));
        batches.pop_front();
      }
    } else {
      const bool start_event = is(rec, lg::RecordType::event) && rec.payload.size() >= 2 &&
                               lg::load_le<uint16_t>(rec.payload.data()) == static_cast<uint16_t>(lg::EventKind::start);
      const bool before_tail = !start_event && !is(rec, lg::RecordType::metadata) && !is(rec, lg::RecordType::string) &&
                               !is(rec, lg::RecordType::keyframe);
      while (before_tail && !batches.empty()) {
        out.push_back(std::move(batches.front()));
        batches.pop_front();
      }
    }
    out.push_back(std::move(rec));
  }
  require(batches.empty(), "copperlists batches after the last record");
  return out;
}

// Lays records out the way the writer does.
class Emitter {
 public:
  explicit Emitter(uint64_t flags) : out_(lg::kFileHeaderSize, 0) {
    namespace hd = lg::header;
    uint8_t* h = out_.data();
    std::memcpy(h + hd::kMagic, lg::kFileMagic.data(), lg::kFileMagic.size());
    lg::store_le<uint32_t>(h + hd::kVersion, lg::kFormatVersion);
    lg::store_le<uint32_t>(h + hd::kHeaderSize, lg::kFileHeaderSize);
    lg::store_le<uint64_t>(h + hd::kFlags, flags);
    std::memcpy(h + hd::kRunId, kRunId.data(), kRunId.size());
    lg::store_le<int64_t>(h + hd::kCreated, kCreatedNs);
    lg::store_le<uint64_t>(h + hd::kSlabSize, kSlab);
    lg::store_le<uint64_t>(h + hd::kChecksum, lg::header_checksum(h));
  }

  // Where a record of this stored length will start (after closing the
  // slab if it does not fit); what the next add() returns.
  uint64_t next_offset(uint64_t length) const {
    const uint64_t left = kSlab - out_.size() % kSlab;
    return lg::record_footprint(length) <= left ? out_.size() : out_.size() + left + preamble_.size();
  }

  uint64_t add(uint16_t type, uint16_t flags, std::span<const uint8_t> stored) {
    const uint64_t left = kSlab - out_.size() % kSlab;
    if (lg::record_footprint(stored.size()) > left) {
      if (left >= lg::kRecordHeaderSize)
        append(static_cast<uint16_t>(lg::RecordType::padding), 0, Bytes(left - lg::kRecordHeaderSize, 0));
      else
        out_.resize(out_.size() + left, 0);
      if (!preamble_.empty()) append(static_cast<uint16_t>(lg::RecordType::metadata), 0, preamble_);
    }
    require(lg::record_footprint(stored.size()) <= kSlab - out_.size() % kSlab, "record larger than a slab");
    const uint64_t offset = out_.size();
    append(type, flags, stored);
    return offset;
  }

  // As the writer: the metadata record again now, and first in every later slab.
  void repeat_metadata(std::span<const uint8_t> stored) {
    add(static_cast<uint16_t>(lg::RecordType::metadata), 0, stored);
    preamble_.assign(stored.begin(), stored.end());
  }

  uint64_t size() const { return out_.size(); }
  const std::map<std::string, uint64_t>& counts() const { return counts_; }
  const std::map<std::string, uint64_t>& stored_bytes() const { return bytes_; }

  // An unclosed log: zeros to the end of the slab in use.
  void zero_tail() { out_.resize((out_.size() + kSlab - 1) / kSlab * kSlab, 0); }

  Bytes take() { return std::move(out_); }

 private:
  void append(uint16_t type, uint16_t flags, std::span<const uint8_t> stored) {
    uint8_t h[lg::kRecordHeaderSize] = {};
    lg::RecordHeader{lg::kRecordSync, type, flags, static_cast<uint32_t>(stored.size()), 0}.encode(h);
    lg::RecordHeader::put_checksum(h, lg::record_checksum(kSeed, h, stored));
    out_.insert(out_.end(), h, h + sizeof(h));
    out_.insert(out_.end(), stored.begin(), stored.end());
    out_.resize(lg::align8(out_.size()), 0);
    const std::string name = lg::to_string(static_cast<lg::RecordType>(type));
    ++counts_[name];
    bytes_[name] += stored.size();
  }

  static inline const uint64_t kSeed = lg::record_seed(lg::kFormatVersion, kRunId);
  Bytes out_;
  Bytes preamble_;  // the metadata payload once it has been emitted
  std::map<std::string, uint64_t> counts_;
  std::map<std::string, uint64_t> bytes_;
};

// Fixed-value patches that do not depend on where records land. `tasks`:
// the graph's task count, from the metadata.
void patch_in_place(Rec& rec, uint32_t tasks) {
  switch (static_cast<lg::RecordType>(rec.type)) {
    case lg::RecordType::metadata: patch_metadata(rec); break;
    case lg::RecordType::failure: patch_failure(rec, tasks); break;
    case lg::RecordType::copperlists: patch_copperlists(rec); break;
    case lg::RecordType::string: patch_string(rec); break;
    case lg::RecordType::event: patch_event(rec); break;
    case lg::RecordType::sync: patch_sync_time(rec); break;
    default: break;
  }
  require(is(rec, lg::RecordType::copperlists) || rec.flags == 0, "unexpected record flags");
}

// Emits records one by one, rewriting what names offsets or sizes of the
// new layout (sync, summary, index, footer) as it goes.
class Relayout {
 public:
  explicit Relayout(uint64_t flags) : emitter_(flags) {}

  void emit(const Rec& rec) {
    uint16_t flags = 0;
    Bytes stored = rewrite(rec, flags);
    const uint64_t offset = emitter_.add(rec.type, flags, stored);
    if (is(rec, lg::RecordType::metadata)) emitter_.repeat_metadata(stored);
    moved_offset_[rec.offset] = offset;
    moved_end_[rec.end] = emitter_.size();
  }

  bool closed() const { return closed_; }
  Bytes take_unclosed() {
    emitter_.zero_tail();
    return emitter_.take();
  }
  Bytes take() { return emitter_.take(); }

 private:
  Bytes rewrite(const Rec& rec, uint16_t& flags) {
    switch (static_cast<lg::RecordType>(rec.type)) {
      case lg::RecordType::copperlists: return copperlists(rec, flags);
      case lg::RecordType::sync: return sync(rec);
      case lg::RecordType::summary: return summary(rec);
      case lg::RecordType::index: return index(rec);
      case lg::RecordType::footer: return footer(rec);
      default: return rec.payload;
    }
  }

  Bytes copperlists(const Rec& rec, uint16_t& flags) {
    Bytes stored = rec.payload;
    if (rec.flags & lg::kRecordFlagZstd) {
      Bytes packed = zstd_compress(rec.payload, kZstdLevel);
      if (packed.size() < rec.payload.size()) {  // as the writer: incompressible batches are stored as is
        stored = std::move(packed);
        flags = lg::kRecordFlagZstd;
      }
    }
    stored_cl_bytes_ += stored.size();
    cl_count_ += lg::CopperlistsHeader::decode(rec.payload.data()).cl_count;
    return stored;
  }

  Bytes sync(const Rec& rec) {
    Bytes stored = rec.payload;
    copper::log::SyncMark mark = lg::SyncLayout::decode(stored.data());
    const auto it = moved_end_.find(mark.durable_offset);
    require(it != moved_end_.end(), "sync record names no record end");
    mark.durable_offset = it->second;
    lg::SyncLayout::encode(stored.data(), mark);
    return stored;
  }

  Bytes summary(const Rec& rec) {
    nlohmann::json summary = parse_json(rec);
    require(summary["cl_count"] == cl_count_, "summary and copperlists disagree");
    summary["records"] = emitter_.counts();
    summary["bytes"] = emitter_.stored_bytes();
    summary["stored_cl_bytes"] = stored_cl_bytes_;
    summary["wall_time_ns"] = static_cast<int64_t>(cl_count_) * kCycleNs;
    Bytes stored = to_bytes(dump(summary));
    summary_offset_ = emitter_.next_offset(stored.size());
    return stored;
  }

  Bytes index(const Rec& rec) {
    Bytes stored = rec.payload;
    const uint32_t entries = lg::load_le<uint32_t>(stored.data() + lg::IndexHeader::kCount);
    require(stored.size() == lg::index_record_size(entries), "bad index payload");
    for (uint32_t i = 0; i < entries; ++i) {
      uint8_t* at = stored.data() + lg::IndexHeader::kSize + lg::IndexEntry::kSize * i;
      lg::IndexEntry entry = lg::IndexEntry::decode(at);
      const auto it = moved_offset_.find(entry.offset);
      require(it != moved_offset_.end(), "index entry names no record");
      entry.offset = it->second;
      entry.encode(at);
    }
    index_offset_ = emitter_.next_offset(stored.size());
    return stored;
  }

  Bytes footer(const Rec& rec) {
    Bytes stored = rec.payload;
    require(stored.size() == lg::Footer::kSize, "bad footer");
    lg::Footer footer = lg::Footer::decode(stored.data());
    require(footer.cl_count == cl_count_, "bad footer");
    footer.summary_offset = summary_offset_;
    footer.index_offset = index_offset_;
    footer.data_end = emitter_.next_offset(stored.size());
    footer.encode(stored.data());
    closed_ = true;
    return stored;
  }

  Emitter emitter_;
  std::map<uint64_t, uint64_t> moved_offset_;  // old record offset -> new
  std::map<uint64_t, uint64_t> moved_end_;     // old record end -> new
  uint64_t summary_offset_ = 0, index_offset_ = 0, stored_cl_bytes_ = 0, cl_count_ = 0;
  bool closed_ = false;
};

}  // namespace

Bytes normalize(std::span<const uint8_t> file, bool zstd) {
  require(file.size() >= lg::kFileHeaderSize, "log shorter than its header");
  const uint64_t flags = lg::load_le<uint64_t>(file.data() + lg::header::kFlags);
  std::vector<Rec> records = parse_records(file);
  require(!records.empty() && is(records.front(), lg::RecordType::metadata), "the log does not start with metadata");
  // The emitter makes the metadata's copies again where the new layout puts them.
  records.erase(std::remove_if(records.begin() + 1, records.end(),
                               [](const Rec& rec) { return is(rec, lg::RecordType::metadata); }),
                records.end());
  const auto tasks = static_cast<uint32_t>(parse_json(records.front())["tasks"].size());
  for (Rec& rec : records) patch_in_place(rec, tasks);
  if (zstd) records = canonical_batch_order(std::move(records));
  Relayout relayout(flags);
  for (const Rec& rec : records) relayout.emit(rec);
  require(relayout.closed() == ((flags & lg::kFlagCleanClose) != 0), "clean flag and footer disagree");
  return relayout.closed() ? relayout.take() : relayout.take_unclosed();
}

}  // namespace corpus
