// The log's byte layout: docs/log-format.md in code, and its only owner.
//
// Every fixed-size part of the format is a struct here with its fields'
// offsets named as in the spec, its size, one encode (to bytes) and one
// decode (from bytes). Variable-length records get one size function and
// one encoder each. Nothing else in the library writes or reads a log byte by
// offset: the writer, the recover path and the text-log call encode
// through these; record_parse.cpp checks lengths and then decodes through
// these; the corpus generator and the tests use the same names.
//
// The rule for a decoder: it is given at least kSize bytes (the caller has
// checked), reads only those, and does not judge the values (record_parse
// does, with the context to say what is wrong). An encoder is given room
// for exactly what the matching size function returned.
//
// Everything is little-endian; copper builds only on little-endian hosts
// (message.hpp checks), so the loads and stores are plain copies.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

#include "copper/log/format.hpp"
#include "copper/log/reader.hpp"
#include "copper/task_status.hpp"

namespace copper::log {

template <class T>
inline T load_le(const uint8_t* p) {
  T value;
  std::memcpy(&value, p, sizeof(T));
  return value;
}
template <class T>
inline void store_le(uint8_t* p, T value) {
  std::memcpy(p, &value, sizeof(T));
}

constexpr uint64_t align8(uint64_t n) { return (n + 7) & ~uint64_t{7}; }

// Copies `bytes` to p and returns the byte after them.
inline uint8_t* put_bytes(uint8_t* p, std::span<const uint8_t> bytes) {
  if (!bytes.empty()) std::memcpy(p, bytes.data(), bytes.size());
  return p + bytes.size();
}
inline uint8_t* put_bytes(uint8_t* p, std::string_view text) {
  if (!text.empty()) std::memcpy(p, text.data(), text.size());
  return p + text.size();
}

// ---------------------------------------------------------------- file

inline constexpr size_t kFileHeaderSize = 64;

// The file header, at offset 0.
namespace header {
inline constexpr size_t kMagic = 0;        // u8[8] "COPPERLG"
inline constexpr size_t kVersion = 8;      // u32
inline constexpr size_t kHeaderSize = 12;  // u32, 64
inline constexpr size_t kFlags = 16;       // u64, bit 0 clean_close
inline constexpr size_t kRunId = 24;       // u8[16]
inline constexpr size_t kCreated = 40;     // i64 ns since the Unix epoch
inline constexpr size_t kSlabSize = 48;    // u64
inline constexpr size_t kChecksum = 56;    // u64 XXH3-64 of bytes 0..55
}  // namespace header

// ---------------------------------------------------------------- records

inline constexpr uint32_t kRecordSync = 0x43455243;  // "CREC" on disk

// The 24 bytes before every payload.
struct RecordHeader {
  static constexpr size_t kSync = 0;       // u32 kRecordSync
  static constexpr size_t kType = 4;       // u16 RecordType
  static constexpr size_t kFlags = 6;      // u16, bit 0 zstd
  static constexpr size_t kLength = 8;     // u32 stored payload length
  static constexpr size_t kReserved = 12;  // u32, 0
  static constexpr size_t kChecksum = 16;  // u64, over bytes 0..15 and the payload
  static constexpr size_t kChecked = 16;   // the header bytes the checksum covers
  static constexpr size_t kSize = 24;

  uint32_t sync = kRecordSync;
  uint16_t type = 0;
  uint16_t flags = 0;
  uint32_t length = 0;
  uint64_t checksum = 0;

  // Writes bytes 0..15; the checksum is stored by put_checksum once the
  // payload is in place.
  void encode(uint8_t* p) const {
    store_le<uint32_t>(p + kSync, sync);
    store_le<uint16_t>(p + kType, type);
    store_le<uint16_t>(p + kFlags, flags);
    store_le<uint32_t>(p + kLength, length);
    store_le<uint32_t>(p + kReserved, 0);
  }
  static void put_checksum(uint8_t* p, uint64_t value) { store_le<uint64_t>(p + kChecksum, value); }
  static RecordHeader decode(const uint8_t* p) {
    return {load_le<uint32_t>(p + kSync), load_le<uint16_t>(p + kType), load_le<uint16_t>(p + kFlags),
            load_le<uint32_t>(p + kLength), load_le<uint64_t>(p + kChecksum)};
  }
};
inline constexpr size_t kRecordHeaderSize = RecordHeader::kSize;

// The record checksum: XXH3-64 of the payload seeded with XXH3-64 of the
// header's first kChecked bytes, itself seeded with the file's record seed,
// so header and payload need not be contiguous (a zstd batch is checksummed
// where it is stored) and a record verifies only in the file it was
// written for.
uint64_t record_checksum(uint64_t seed, const uint8_t* header16, std::span<const uint8_t> payload);
// The record seed of a file: XXH3-64 of its 16-byte run id from format
// version 2 on; 0 in version 1, whose records carry no run identity.
uint64_t record_seed(uint32_t format_version, std::span<const uint8_t, 16> run_id);
// The file header's checksum field: XXH3-64 of the bytes before it.
uint64_t header_checksum(const uint8_t* file_header);

// Header, payload, zero padding to 8 bytes.
constexpr uint64_t record_footprint(uint64_t payload_length) { return kRecordHeaderSize + align8(payload_length); }

// ---------------------------------------------------------------- copperlists (type 2)

// The copperlists payload starts with this, then cl_count entries.
struct CopperlistsHeader {
  static constexpr size_t kFirstClId = 0;   // u64
  static constexpr size_t kClCount = 8;     // u32
  static constexpr size_t kSlotCount = 12;  // u32
  static constexpr size_t kTaskCount = 16;  // u32
  static constexpr size_t kReserved = 20;   // u32, 0
  static constexpr size_t kSize = 24;

  uint64_t first_cl_id = 0;
  uint32_t cl_count = 0;
  uint32_t slot_count = 0;
  uint32_t task_count = 0;

  void encode(uint8_t* p) const {
    store_le<uint64_t>(p + kFirstClId, first_cl_id);
    store_le<uint32_t>(p + kClCount, cl_count);
    store_le<uint32_t>(p + kSlotCount, slot_count);
    store_le<uint32_t>(p + kTaskCount, task_count);
    store_le<uint32_t>(p + kReserved, 0);
  }
  // A batch being filled bumps its count in place.
  static void put_cl_count(uint8_t* p, uint32_t count) { store_le<uint32_t>(p + kClCount, count); }
  static CopperlistsHeader decode(const uint8_t* p) {
    return {load_le<uint64_t>(p + kFirstClId), load_le<uint32_t>(p + kClCount), load_le<uint32_t>(p + kSlotCount),
            load_le<uint32_t>(p + kTaskCount)};
  }
};

// One copperlist entry: this head, task_count task timings, slot_count
// slots. Also the tail of a failure record.
struct EntryHeader {
  static constexpr size_t kLength = 0;  // u32 bytes of the entry after this field
  static constexpr size_t kClId = 4;    // u64
  static constexpr size_t kTime = 12;   // i64 the copperlist's time
  static constexpr size_t kSize = 20;
  static constexpr size_t kLengthField = 4;

  uint32_t length = 0;
  uint64_t cl_id = 0;
  int64_t time_ns = 0;

  void encode(uint8_t* p) const {
    store_le<uint32_t>(p + kLength, length);
    store_le<uint64_t>(p + kClId, cl_id);
    store_le<int64_t>(p + kTime, time_ns);
  }
  static EntryHeader decode(const uint8_t* p) {
    return {load_le<uint32_t>(p + kLength), load_le<uint64_t>(p + kClId), load_le<int64_t>(p + kTime)};
  }
};

// A task's process start, end and status inside an entry.
struct TaskTimingLayout {
  static constexpr size_t kStart = 0;    // i64
  static constexpr size_t kEnd = 8;      // i64
  static constexpr size_t kStatus = 16;  // u8 TaskStatus
  static constexpr size_t kSize = 17;

  static void encode(uint8_t* p, int64_t start_ns, int64_t end_ns, TaskStatus status) {
    store_le<int64_t>(p + kStart, start_ns);
    store_le<int64_t>(p + kEnd, end_ns);
    p[kStatus] = static_cast<uint8_t>(status);
  }
  // The status byte as stored: the parser checks it is a TaskStatus.
  static TaskTiming decode(const uint8_t* p, uint8_t& status_byte) {
    status_byte = p[kStatus];
    return {load_le<int64_t>(p + kStart), load_le<int64_t>(p + kEnd), static_cast<TaskStatus>(status_byte)};
  }
};

// A slot's head inside an entry; the message bytes follow.
struct SlotHeader {
  static constexpr size_t kTimeOfValidity = 0;  // i64
  static constexpr size_t kLength = 8;          // u32 message bytes
  static constexpr size_t kSize = 12;

  int64_t time_of_validity_ns = 0;
  uint32_t length = 0;

  void encode(uint8_t* p) const {
    store_le<int64_t>(p + kTimeOfValidity, time_of_validity_ns);
    store_le<uint32_t>(p + kLength, length);
  }
  static SlotHeader decode(const uint8_t* p) {
    return {load_le<int64_t>(p + kTimeOfValidity), load_le<uint32_t>(p + kLength)};
  }
};

// The fixed part of an entry of task_count tasks and slot_count slots.
constexpr uint64_t entry_fixed_size(uint64_t task_count, uint64_t slot_count) {
  return EntryHeader::kSize + task_count * TaskTimingLayout::kSize + slot_count * SlotHeader::kSize;
}

// ---------------------------------------------------------------- text (type 3)

// A text payload is a u32 entry count, then entries: this head, then
// args_length bytes of tagged arguments (a tag byte, then its value).
inline constexpr size_t kTextCountSize = 4;

struct TextEntryHeader {
  static constexpr size_t kClId = 0;         // u64
  static constexpr size_t kTaskIndex = 8;    // u32, kNoTask: not from a task
  static constexpr size_t kStringId = 12;    // u32
  static constexpr size_t kLevel = 16;       // u8 TextLevel
  static constexpr size_t kArgCount = 17;    // u8
  static constexpr size_t kArgsLength = 18;  // u16
  static constexpr size_t kSize = 20;
  static constexpr size_t kMaxArgsLength = 0xFFFF;

  uint64_t cl_id = 0;
  uint32_t task_index = kNoTask;
  uint32_t string_id = 0;
  uint8_t level = 0;
  uint8_t arg_count = 0;
  uint16_t args_length = 0;

  void encode(uint8_t* p) const {
    store_le<uint64_t>(p + kClId, cl_id);
    store_le<uint32_t>(p + kTaskIndex, task_index);
    store_le<uint32_t>(p + kStringId, string_id);
    p[kLevel] = level;
    p[kArgCount] = arg_count;
    store_le<uint16_t>(p + kArgsLength, args_length);
  }
  static TextEntryHeader decode(const uint8_t* p) {
    return {load_le<uint64_t>(p + kClId),
            load_le<uint32_t>(p + kTaskIndex),
            load_le<uint32_t>(p + kStringId),
            p[kLevel],
            p[kArgCount],
            load_le<uint16_t>(p + kArgsLength)};
  }
};

// The size of an argument's value after its tag byte; for a string, of its
// u32 length (the bytes follow). 0: not a tag of this format.
constexpr size_t text_arg_value_size(uint8_t tag) {
  switch (static_cast<ArgTag>(tag)) {
    case ArgTag::boolean:
    case ArgTag::character: return 1;
    case ArgTag::f32:
    case ArgTag::string: return 4;
    case ArgTag::i64:
    case ArgTag::u64:
    case ArgTag::f64: return 8;
  }
  return 0;
}

// ---------------------------------------------------------------- string (type 4)

// u32 id, u8 level, u32 line, u16 file_length, file, u32 format_length, format.
struct StringHeader {
  static constexpr size_t kId = 0;          // u32
  static constexpr size_t kLevel = 4;       // u8 TextLevel
  static constexpr size_t kLine = 5;        // u32
  static constexpr size_t kFileLength = 9;  // u16, the file's bytes follow
  static constexpr size_t kSize = 11;
  static constexpr size_t kFormatLengthSize = 4;  // u32 after the file, the format's bytes follow
  static constexpr size_t kMaxFileLength = 0xFFFF;

  uint32_t id = 0;
  uint8_t level = 0;
  uint32_t line = 0;
  uint16_t file_length = 0;

  void encode(uint8_t* p) const {
    store_le<uint32_t>(p + kId, id);
    p[kLevel] = level;
    store_le<uint32_t>(p + kLine, line);
    store_le<uint16_t>(p + kFileLength, file_length);
  }
  static StringHeader decode(const uint8_t* p) {
    return {load_le<uint32_t>(p + kId), p[kLevel], load_le<uint32_t>(p + kLine), load_le<uint16_t>(p + kFileLength)};
  }
};

// The file must fit StringHeader::kMaxFileLength (the string table trims it).
constexpr uint64_t string_record_size(std::string_view file, std::string_view format) {
  return StringHeader::kSize + file.size() + StringHeader::kFormatLengthSize + format.size();
}
inline void encode_string_record(uint8_t* p, uint32_t id, TextLevel level, uint32_t line, std::string_view file,
                                 std::string_view format) {
  StringHeader{id, static_cast<uint8_t>(level), line, static_cast<uint16_t>(file.size())}.encode(p);
  p = put_bytes(p + StringHeader::kSize, file);
  store_le<uint32_t>(p, static_cast<uint32_t>(format.size()));
  put_bytes(p + StringHeader::kFormatLengthSize, format);
}

// ---------------------------------------------------------------- keyframe (type 5)

// u64 cl_id, u32 count, then count x (this state head, state bytes).
struct KeyframeHeader {
  static constexpr size_t kClId = 0;   // u64
  static constexpr size_t kCount = 8;  // u32
  static constexpr size_t kSize = 12;

  uint64_t cl_id = 0;
  uint32_t count = 0;

  void encode(uint8_t* p) const {
    store_le<uint64_t>(p + kClId, cl_id);
    store_le<uint32_t>(p + kCount, count);
  }
  static KeyframeHeader decode(const uint8_t* p) {
    return {load_le<uint64_t>(p + kClId), load_le<uint32_t>(p + kCount)};
  }
};

struct KeyframeStateHeader {
  static constexpr size_t kTaskIndex = 0;  // u32
  static constexpr size_t kLength = 4;     // u32 state bytes
  static constexpr size_t kSize = 8;

  uint32_t task_index = 0;
  uint32_t length = 0;

  void encode(uint8_t* p) const {
    store_le<uint32_t>(p + kTaskIndex, task_index);
    store_le<uint32_t>(p + kLength, length);
  }
  static KeyframeStateHeader decode(const uint8_t* p) {
    return {load_le<uint32_t>(p + kTaskIndex), load_le<uint32_t>(p + kLength)};
  }
};

// ---------------------------------------------------------------- event (type 6)

// This head, then the message bytes.
struct EventHeader {
  static constexpr size_t kKind = 0;           // u16 EventKind
  static constexpr size_t kReserved = 2;       // u16, 0
  static constexpr size_t kMessageLength = 4;  // u32
  static constexpr size_t kClId = 8;           // u64
  static constexpr size_t kTime = 16;          // i64 wall clock
  static constexpr size_t kSize = 24;

  uint16_t kind = 0;
  uint32_t message_length = 0;
  uint64_t cl_id = 0;
  int64_t time_ns = 0;

  void encode(uint8_t* p) const {
    store_le<uint16_t>(p + kKind, kind);
    store_le<uint16_t>(p + kReserved, 0);
    store_le<uint32_t>(p + kMessageLength, message_length);
    store_le<uint64_t>(p + kClId, cl_id);
    store_le<int64_t>(p + kTime, time_ns);
  }
  static EventHeader decode(const uint8_t* p) {
    return {load_le<uint16_t>(p + kKind), load_le<uint32_t>(p + kMessageLength), load_le<uint64_t>(p + kClId),
            load_le<int64_t>(p + kTime)};
  }
};

// ---------------------------------------------------------------- sync (type 7)

struct SyncLayout {
  static constexpr size_t kDurableOffset = 0;  // u64
  static constexpr size_t kDurableCls = 8;     // u64 copperlists durable
  static constexpr size_t kTime = 16;          // i64 wall clock
  static constexpr size_t kSize = 24;

  static void encode(uint8_t* p, const SyncMark& mark) {
    store_le<uint64_t>(p + kDurableOffset, mark.durable_offset);
    store_le<uint64_t>(p + kDurableCls, mark.durable_cls);
    store_le<int64_t>(p + kTime, mark.time_ns);
  }
  static SyncMark decode(const uint8_t* p) {
    return {load_le<uint64_t>(p + kDurableOffset), load_le<uint64_t>(p + kDurableCls), load_le<int64_t>(p + kTime)};
  }
};

// ---------------------------------------------------------------- index (type 9)

// u32 entry_count, u32 reserved, then entries.
struct IndexHeader {
  static constexpr size_t kCount = 0;     // u32
  static constexpr size_t kReserved = 4;  // u32, 0
  static constexpr size_t kSize = 8;
};

// One indexed copperlists record.
struct IndexEntry {
  static constexpr size_t kFirstClId = 0;  // u64
  static constexpr size_t kClCount = 8;    // u32
  static constexpr size_t kReserved = 12;  // u32, 0
  static constexpr size_t kOffset = 16;    // u64 the record's offset
  static constexpr size_t kSize = 24;

  uint64_t first_cl_id = 0;
  uint32_t cl_count = 0;
  uint64_t offset = 0;

  void encode(uint8_t* p) const {
    store_le<uint64_t>(p + kFirstClId, first_cl_id);
    store_le<uint32_t>(p + kClCount, cl_count);
    store_le<uint32_t>(p + kReserved, 0);
    store_le<uint64_t>(p + kOffset, offset);
  }
  static IndexEntry decode(const uint8_t* p) {
    return {load_le<uint64_t>(p + kFirstClId), load_le<uint32_t>(p + kClCount), load_le<uint64_t>(p + kOffset)};
  }
};

constexpr uint64_t index_record_size(uint64_t entries) { return IndexHeader::kSize + entries * IndexEntry::kSize; }
inline void encode_index_record(uint8_t* p, std::span<const IndexEntry> entries) {
  store_le<uint32_t>(p + IndexHeader::kCount, static_cast<uint32_t>(entries.size()));
  store_le<uint32_t>(p + IndexHeader::kReserved, 0);
  p += IndexHeader::kSize;
  for (const IndexEntry& entry : entries) {
    entry.encode(p);
    p += IndexEntry::kSize;
  }
}

// ---------------------------------------------------------------- footer (type 10)

struct Footer {
  static constexpr size_t kSummaryOffset = 0;  // u64
  static constexpr size_t kIndexOffset = 8;    // u64
  static constexpr size_t kClCount = 16;       // u64
  static constexpr size_t kDataEnd = 24;       // u64 the footer record's own offset
  static constexpr size_t kSize = 32;

  uint64_t summary_offset = 0;
  uint64_t index_offset = 0;
  uint64_t cl_count = 0;
  uint64_t data_end = 0;

  void encode(uint8_t* p) const {
    store_le<uint64_t>(p + kSummaryOffset, summary_offset);
    store_le<uint64_t>(p + kIndexOffset, index_offset);
    store_le<uint64_t>(p + kClCount, cl_count);
    store_le<uint64_t>(p + kDataEnd, data_end);
  }
  static Footer decode(const uint8_t* p) {
    return {load_le<uint64_t>(p + kSummaryOffset), load_le<uint64_t>(p + kIndexOffset), load_le<uint64_t>(p + kClCount),
            load_le<uint64_t>(p + kDataEnd)};
  }
};

// ---------------------------------------------------------------- failure (type 12)

// This head, the phase, task id and message bytes, then one copperlist entry.
struct FailureHeader {
  static constexpr size_t kPhaseLength = 0;    // u16
  static constexpr size_t kTaskLength = 2;     // u16
  static constexpr size_t kMessageLength = 4;  // u32
  static constexpr size_t kSize = 8;

  uint16_t phase_length = 0;
  uint16_t task_length = 0;
  uint32_t message_length = 0;

  void encode(uint8_t* p) const {
    store_le<uint16_t>(p + kPhaseLength, phase_length);
    store_le<uint16_t>(p + kTaskLength, task_length);
    store_le<uint32_t>(p + kMessageLength, message_length);
  }
  static FailureHeader decode(const uint8_t* p) {
    return {load_le<uint16_t>(p + kPhaseLength), load_le<uint16_t>(p + kTaskLength),
            load_le<uint32_t>(p + kMessageLength)};
  }
};

}  // namespace copper::log
