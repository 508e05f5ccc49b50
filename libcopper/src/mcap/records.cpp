#include "mcap/records.hpp"

#include <zlib.h>

#include <algorithm>
#include <limits>

namespace copper::mcap {

uint32_t crc32(uint32_t crc, std::string_view data) {
  // zlib takes uInt lengths: feed it in pieces that fit.
  constexpr size_t kMaxPiece = std::numeric_limits<uInt>::max() / 2;
  uLong value = crc;
  while (!data.empty()) {
    const size_t n = std::min(data.size(), kMaxPiece);
    value = ::crc32(value, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(n));
    data.remove_prefix(n);
  }
  return static_cast<uint32_t>(value);
}

uint32_t crc32_concat(uint32_t crc_a, uint32_t crc_b, uint64_t length_b) {
  return static_cast<uint32_t>(::crc32_combine64(crc_a, crc_b, static_cast<z_off64_t>(length_b)));
}

namespace {

template <class T>
void put_le(Bytes& out, T value) {
  char bytes[sizeof(T)];
  for (size_t i = 0; i < sizeof(T); ++i) bytes[i] = static_cast<char>((value >> (8 * i)) & 0xFF);
  out.append(bytes, sizeof(T));
}

// A Map or an Array: <u32 byte length><entries>; returns where the entries
// start, for end_sized.
size_t begin_sized(Bytes& out) {
  put_u32(out, 0);
  return out.size();
}

void end_sized(Bytes& out, size_t entries_start) {
  const auto length = static_cast<uint32_t>(out.size() - entries_start);
  for (size_t i = 0; i < 4; ++i) out[entries_start - 4 + i] = static_cast<char>((length >> (8 * i)) & 0xFF);
}

void put_u16_u64_map(Bytes& out, const std::vector<std::pair<uint16_t, uint64_t>>& entries) {
  const size_t start = begin_sized(out);
  for (const auto& [key, value] : entries) {
    put_u16(out, key);
    put_u64(out, value);
  }
  end_sized(out, start);
}

}  // namespace

void put_u8(Bytes& out, uint8_t value) { out.push_back(static_cast<char>(value)); }
void put_u16(Bytes& out, uint16_t value) { put_le(out, value); }
void put_u32(Bytes& out, uint32_t value) { put_le(out, value); }
void put_u64(Bytes& out, uint64_t value) { put_le(out, value); }

void put_string(Bytes& out, std::string_view text) {
  put_u32(out, static_cast<uint32_t>(text.size()));
  out.append(text);
}

void patch_u64(Bytes& out, size_t at, uint64_t value) {
  for (size_t i = 0; i < 8; ++i) out[at + i] = static_cast<char>((value >> (8 * i)) & 0xFF);
}

size_t begin_record(Bytes& out, Opcode opcode) {
  put_u8(out, static_cast<uint8_t>(opcode));
  put_u64(out, 0);
  return out.size();
}

void end_record(Bytes& out, size_t content_start) { patch_u64(out, content_start - 8, out.size() - content_start); }

void append_header(Bytes& out, std::string_view profile, std::string_view library) {
  const size_t start = begin_record(out, Opcode::header);
  put_string(out, profile);
  put_string(out, library);
  end_record(out, start);
}

void append_footer(Bytes& out, uint64_t summary_start, uint64_t summary_offset_start, uint32_t summary_crc) {
  const size_t start = begin_record(out, Opcode::footer);
  put_u64(out, summary_start);
  put_u64(out, summary_offset_start);
  put_u32(out, summary_crc);
  end_record(out, start);
}

void append_schema(Bytes& out, const Schema& schema) {
  const size_t start = begin_record(out, Opcode::schema);
  put_u16(out, schema.id);
  put_string(out, schema.name);
  put_string(out, schema.encoding);
  put_string(out, schema.data);  // uint32 length-prefixed bytes: the same layout
  end_record(out, start);
}

void append_channel(Bytes& out, const Channel& channel) {
  const size_t start = begin_record(out, Opcode::channel);
  put_u16(out, channel.id);
  put_u16(out, channel.schema_id);
  put_string(out, channel.topic);
  put_string(out, channel.message_encoding);
  const size_t map = begin_sized(out);
  for (const auto& [key, value] : channel.metadata) {
    put_string(out, key);
    put_string(out, value);
  }
  end_sized(out, map);
  end_record(out, start);
}

size_t begin_message(Bytes& out, const MessageHead& head) {
  const size_t start = begin_record(out, Opcode::message);
  put_u16(out, head.channel_id);
  put_u32(out, head.sequence);
  put_u64(out, head.log_time);
  put_u64(out, head.publish_time);
  return start;
}

void append_chunk_head(Bytes& out, const ChunkHead& head, uint64_t records_size) {
  put_u8(out, static_cast<uint8_t>(Opcode::chunk));
  const uint64_t content = 8 + 8 + 8 + 4 + 4 + head.compression.size() + 8 + records_size;
  put_u64(out, content);
  put_u64(out, head.message_start_time);
  put_u64(out, head.message_end_time);
  put_u64(out, head.uncompressed_size);
  put_u32(out, head.uncompressed_crc);
  put_string(out, head.compression);
  put_u64(out, records_size);
}

void append_message_index(Bytes& out, uint16_t channel_id, std::span<const std::pair<uint64_t, uint64_t>> entries) {
  const size_t start = begin_record(out, Opcode::message_index);
  put_u16(out, channel_id);
  const size_t array = begin_sized(out);
  for (const auto& [log_time, offset] : entries) {
    put_u64(out, log_time);
    put_u64(out, offset);
  }
  end_sized(out, array);
  end_record(out, start);
}

void append_chunk_index(Bytes& out, const ChunkIndex& index) {
  const size_t start = begin_record(out, Opcode::chunk_index);
  put_u64(out, index.message_start_time);
  put_u64(out, index.message_end_time);
  put_u64(out, index.chunk_start_offset);
  put_u64(out, index.chunk_length);
  put_u16_u64_map(out, index.message_index_offsets);
  put_u64(out, index.message_index_length);
  put_string(out, index.compression);
  put_u64(out, index.compressed_size);
  put_u64(out, index.uncompressed_size);
  end_record(out, start);
}

void append_attachment(Bytes& out, const Attachment& attachment) {
  const size_t start = begin_record(out, Opcode::attachment);
  put_u64(out, attachment.log_time);
  put_u64(out, attachment.create_time);
  put_string(out, attachment.name);
  put_string(out, attachment.media_type);
  put_u64(out, attachment.data.size());
  out.append(attachment.data);
  // The CRC covers the fields before it: from log_time to the data's end
  // (not the opcode and record length).
  put_u32(out, crc32(0, std::string_view(out).substr(start)));
  end_record(out, start);
}

void append_attachment_index(Bytes& out, const AttachmentIndex& index) {
  const size_t start = begin_record(out, Opcode::attachment_index);
  put_u64(out, index.offset);
  put_u64(out, index.length);
  put_u64(out, index.log_time);
  put_u64(out, index.create_time);
  put_u64(out, index.data_size);
  put_string(out, index.name);
  put_string(out, index.media_type);
  end_record(out, start);
}

void append_statistics(Bytes& out, const Statistics& statistics) {
  const size_t start = begin_record(out, Opcode::statistics);
  put_u64(out, statistics.message_count);
  put_u16(out, statistics.schema_count);
  put_u32(out, statistics.channel_count);
  put_u32(out, statistics.attachment_count);
  put_u32(out, statistics.metadata_count);
  put_u32(out, statistics.chunk_count);
  put_u64(out, statistics.message_start_time);
  put_u64(out, statistics.message_end_time);
  put_u16_u64_map(out, statistics.channel_message_counts);
  end_record(out, start);
}

void append_metadata(Bytes& out, std::string_view name, const KeyValues& metadata) {
  const size_t start = begin_record(out, Opcode::metadata);
  put_string(out, name);
  const size_t map = begin_sized(out);
  for (const auto& [key, value] : metadata) {
    put_string(out, key);
    put_string(out, value);
  }
  end_sized(out, map);
  end_record(out, start);
}

void append_metadata_index(Bytes& out, const MetadataIndex& index) {
  const size_t start = begin_record(out, Opcode::metadata_index);
  put_u64(out, index.offset);
  put_u64(out, index.length);
  put_string(out, index.name);
  end_record(out, start);
}

void append_summary_offset(Bytes& out, const SummaryOffset& offset) {
  const size_t start = begin_record(out, Opcode::summary_offset);
  put_u8(out, static_cast<uint8_t>(offset.group_opcode));
  put_u64(out, offset.group_start);
  put_u64(out, offset.group_length);
  end_record(out, start);
}

void append_data_end(Bytes& out, uint32_t data_section_crc) {
  const size_t start = begin_record(out, Opcode::data_end);
  put_u32(out, data_section_crc);
  end_record(out, start);
}

}  // namespace copper::mcap
