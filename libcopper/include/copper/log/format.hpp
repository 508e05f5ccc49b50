// The log format's names and numbers that the public API uses: record
// types, event kinds, text levels, argument tags, the version. Byte
// offsets and encodings are not public: they live in the library
// (src/log/layout.hpp), the one owner of the layout docs/log-format.md
// specifies.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

#include "copper/export.hpp"

namespace copper::log {

// 2: record checksums are seeded with the file's run id (layout.hpp,
// record_seed), and slab 0 holds a second copy of the metadata record.
// Version 1 logs stay readable.
inline constexpr uint32_t kFormatVersion = 2;
inline constexpr uint32_t kOldestFormatVersion = 1;
inline constexpr std::array<uint8_t, 8> kFileMagic = {'C', 'O', 'P', 'P', 'E', 'R', 'L', 'G'};
inline constexpr uint64_t kFlagCleanClose = 1;
inline constexpr uint64_t kDefaultSlabSize = 8u << 20;
inline constexpr uint64_t kMinSlabSize = 64u << 10;

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

// report: a component's end-of-run figures, the message a JSON object
// naming it ({"component": "live_view", ...}).
enum class EventKind : uint16_t { start = 1, stop = 2, error = 3, signal = 4, report = 5 };

enum class TextLevel : uint8_t { trace = 0, debug = 1, info = 2, warn = 3, error = 4 };

enum class ArgTag : uint8_t { boolean = 1, i64 = 2, u64 = 3, f64 = 4, string = 5, character = 6, f32 = 7 };

// One entry of a text-log string table, what a string record (type 4)
// holds: the live table hands these out, the writer writes them, and
// StringEntry (reader.hpp) is the reader's owning copy. The views belong to
// whoever handed the entry out.
struct TextString {
  uint32_t id = 0;
  TextLevel level = TextLevel::info;
  uint32_t line = 0;
  std::string_view file;  // at most 65535 bytes (the string record's u16)
  std::string_view format;
};

COPPER_API const char* to_string(RecordType type);
COPPER_API const char* to_string(EventKind kind);
COPPER_API const char* to_string(TextLevel level);

}  // namespace copper::log
