// Constants and small helpers of the log format; docs/log-format.md is the
// byte-level specification and this header must agree with it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

#include "copper/export.hpp"

namespace copper::log {

inline constexpr uint32_t kFormatVersion = 1;
inline constexpr std::array<uint8_t, 8> kFileMagic = {'C', 'O', 'P', 'P', 'E', 'R', 'L', 'G'};
inline constexpr size_t kFileHeaderSize = 64;
inline constexpr uint64_t kFlagCleanClose = 1;
inline constexpr uint64_t kDefaultSlabSize = 8u << 20;
inline constexpr uint64_t kMinSlabSize = 64u << 10;

inline constexpr uint32_t kRecordSync = 0x43455243;  // "CREC" on disk
inline constexpr size_t kRecordHeaderSize = 24;
inline constexpr uint16_t kRecordFlagZstd = 1;
inline constexpr uint32_t kNoTask = 0xFFFFFFFF;

enum class RecordType : uint16_t {
  metadata = 1,
  copperlists = 2,
  text = 3,
  string = 4,
  keyframe = 5,
  event = 6,
  sync = 7,
  summary = 8,
  index = 9,
  footer = 10,
  padding = 11,
  failure = 12,
};

enum class EventKind : uint16_t { start = 1, stop = 2, error = 3, signal = 4 };

enum class TextLevel : uint8_t { trace = 0, debug = 1, info = 2, warn = 3, error = 4 };

enum class ArgTag : uint8_t { boolean = 1, i64 = 2, u64 = 3, f64 = 4, string = 5, character = 6, f32 = 7 };

COPPER_API const char* to_string(RecordType type);
COPPER_API const char* to_string(EventKind kind);
COPPER_API const char* to_string(TextLevel level);

// Field offsets inside the file header.
namespace header {
inline constexpr size_t kMagic = 0;
inline constexpr size_t kVersion = 8;
inline constexpr size_t kHeaderSize = 12;
inline constexpr size_t kFlags = 16;
inline constexpr size_t kRunId = 24;
inline constexpr size_t kCreated = 40;
inline constexpr size_t kSlabSize = 48;
inline constexpr size_t kChecksum = 56;
}  // namespace header

constexpr uint64_t align8(uint64_t n) { return (n + 7) & ~uint64_t{7}; }
constexpr uint64_t record_footprint(uint64_t payload_length) { return kRecordHeaderSize + align8(payload_length); }

// Unaligned little-endian access. The format is little-endian and copper
// only builds on little-endian hosts (message.hpp checks), so these are
// plain copies that the compiler turns into single moves.
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

// The record checksum: XXH3-64 of the payload seeded with XXH3-64 of the
// first 16 header bytes, so header and payload need not be contiguous.
COPPER_API uint64_t record_checksum(const uint8_t* header16, std::span<const uint8_t> payload);
COPPER_API uint64_t header_checksum(const uint8_t* file_header);

}  // namespace copper::log
