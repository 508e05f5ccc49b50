// The byte layout of MCAP records (mcap.dev/spec, major version 0), written
// from the specification: this header owns every opcode and field order the
// writer (mcap_writer.hpp) emits, and nothing else does.
//
// Every record is <opcode u8><content length u64><content>, integers little
// endian. Strings are <u32 length><UTF-8 bytes>; a Map or an Array is <u32
// byte length><entries>; timestamps are u64 nanoseconds. Records are
// appended to a byte buffer (a std::string used as bytes), so that chunk
// contents, the summary and the file itself are built the same way.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace copper::mcap {

enum class Opcode : uint8_t {
  header = 0x01,
  footer = 0x02,
  schema = 0x03,
  channel = 0x04,
  message = 0x05,
  chunk = 0x06,
  message_index = 0x07,
  chunk_index = 0x08,
  attachment = 0x09,
  attachment_index = 0x0A,
  statistics = 0x0B,
  metadata = 0x0C,
  metadata_index = 0x0D,
  summary_offset = 0x0E,
  data_end = 0x0F,
};

// Begins and ends every MCAP file: 0x89 "MCAP" '0' (the major version) CR LF.
inline constexpr std::string_view kMagic{"\x89MCAP0\r\n", 8};

// <opcode> and <content length>: what precedes every record's content.
inline constexpr uint64_t kRecordPrefix = 1 + 8;
// The Footer's bytes that its summary CRC covers: opcode, length,
// summary_start, summary_offset_start.
inline constexpr uint64_t kFooterCrcPrefix = kRecordPrefix + 8 + 8;

using Bytes = std::string;
// A Map<string, string>, written in this order (keys must be unique).
using KeyValues = std::vector<std::pair<std::string, std::string>>;

// CRC-32 (ISO-HDLC, as zlib and the spec's readers compute it) of `data`,
// continuing from `crc` (0 to start).
uint32_t crc32(uint32_t crc, std::string_view data);
// The CRC-32 of A followed by B from crc(A), crc(B) and B's length.
uint32_t crc32_concat(uint32_t crc_a, uint32_t crc_b, uint64_t length_b);

void put_u8(Bytes& out, uint8_t value);
void put_u16(Bytes& out, uint16_t value);
void put_u32(Bytes& out, uint32_t value);
void put_u64(Bytes& out, uint64_t value);
void put_string(Bytes& out, std::string_view text);
void patch_u64(Bytes& out, size_t at, uint64_t value);

// Writes <opcode><length placeholder>; returns where the content starts.
// end_record patches the length once the content is appended.
size_t begin_record(Bytes& out, Opcode opcode);
void end_record(Bytes& out, size_t content_start);

struct Schema {
  uint16_t id = 0;  // never 0 (0 means "no schema")
  std::string name;
  std::string encoding;  // "jsonschema"
  std::string data;
};

struct Channel {
  uint16_t id = 0;
  uint16_t schema_id = 0;
  std::string topic;
  std::string message_encoding;  // "json"
  KeyValues metadata;
};

struct MessageHead {
  uint16_t channel_id = 0;
  uint32_t sequence = 0;
  uint64_t log_time = 0;
  uint64_t publish_time = 0;
};

// A Chunk's fields before its records.
struct ChunkHead {
  uint64_t message_start_time = 0;
  uint64_t message_end_time = 0;
  uint64_t uncompressed_size = 0;
  uint32_t uncompressed_crc = 0;
  std::string compression;  // "zstd" or "" (none)
};

struct ChunkIndex {
  uint64_t message_start_time = 0;
  uint64_t message_end_time = 0;
  uint64_t chunk_start_offset = 0;
  uint64_t chunk_length = 0;                                         // the whole Chunk record
  std::vector<std::pair<uint16_t, uint64_t>> message_index_offsets;  // channel -> file offset
  uint64_t message_index_length = 0;
  std::string compression;
  uint64_t compressed_size = 0;
  uint64_t uncompressed_size = 0;
};

struct Attachment {
  uint64_t log_time = 0;
  uint64_t create_time = 0;
  std::string name;
  std::string media_type;
  std::string_view data;
};

struct AttachmentIndex {
  uint64_t offset = 0;
  uint64_t length = 0;
  uint64_t log_time = 0;
  uint64_t create_time = 0;
  uint64_t data_size = 0;
  std::string name;
  std::string media_type;
};

struct Statistics {
  uint64_t message_count = 0;
  uint16_t schema_count = 0;
  uint32_t channel_count = 0;
  uint32_t attachment_count = 0;
  uint32_t metadata_count = 0;
  uint32_t chunk_count = 0;
  uint64_t message_start_time = 0;
  uint64_t message_end_time = 0;
  std::vector<std::pair<uint16_t, uint64_t>> channel_message_counts;
};

struct MetadataIndex {
  uint64_t offset = 0;
  uint64_t length = 0;
  std::string name;
};

struct SummaryOffset {
  Opcode group_opcode = Opcode::schema;
  uint64_t group_start = 0;
  uint64_t group_length = 0;
};

void append_header(Bytes& out, std::string_view profile, std::string_view library);
void append_footer(Bytes& out, uint64_t summary_start, uint64_t summary_offset_start, uint32_t summary_crc);
void append_schema(Bytes& out, const Schema& schema);
void append_channel(Bytes& out, const Channel& channel);
// The Message record's head; the caller appends the data (the rest of the
// record) and calls end_record with the returned position.
size_t begin_message(Bytes& out, const MessageHead& head);
// The Chunk record up to its records field's length prefix included; the
// caller appends exactly `records_size` bytes after it.
void append_chunk_head(Bytes& out, const ChunkHead& head, uint64_t records_size);
// (log_time, offset into the chunk's uncompressed records) per message.
void append_message_index(Bytes& out, uint16_t channel_id, std::span<const std::pair<uint64_t, uint64_t>> entries);
void append_chunk_index(Bytes& out, const ChunkIndex& index);
// Computes the record's CRC over its preceding fields.
void append_attachment(Bytes& out, const Attachment& attachment);
void append_attachment_index(Bytes& out, const AttachmentIndex& index);
void append_statistics(Bytes& out, const Statistics& statistics);
void append_metadata(Bytes& out, std::string_view name, const KeyValues& metadata);
void append_metadata_index(Bytes& out, const MetadataIndex& index);
void append_summary_offset(Bytes& out, const SummaryOffset& offset);
void append_data_end(Bytes& out, uint32_t data_section_crc);

}  // namespace copper::mcap
