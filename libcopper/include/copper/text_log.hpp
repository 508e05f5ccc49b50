// Structured text logging for tasks.
//
// A task writes CU_INFO(ctx, "x={} y={}", x, y) and pays only for copying its
// arguments in binary form into a buffer its copperlist owns: the format
// string is registered once in a string table and referred to by id, and
// the text is rebuilt offline (copper-log text) with fmt. Entries travel
// with their copperlist and are committed with it, so they are ordered and
// need no lock. The entry layout is the "text payload" of
// docs/log-format.md.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace copper {

// One task's text-log entries for one copperlist: a fixed-capacity arena,
// allocated once. An entry that does not fit is dropped and counted, never
// allocated for: the per-cycle path must not allocate.
class TextLogBuffer {
 public:
  explicit TextLogBuffer(size_t capacity = kDefaultCapacity) { bytes_.reserve(capacity); }

  static constexpr size_t kDefaultCapacity = 2048;

  // Space for an entry of n bytes, or nullptr (and a drop counted) when full.
  uint8_t* reserve(size_t n) {
    if (bytes_.size() + n > bytes_.capacity()) {
      ++dropped_;
      return nullptr;
    }
    const size_t at = bytes_.size();
    bytes_.resize(at + n);  // within capacity: no allocation
    ++entries_;
    return bytes_.data() + at;
  }

  std::span<const uint8_t> bytes() const { return bytes_; }
  uint32_t entry_count() const { return entries_; }
  uint32_t dropped() const { return dropped_; }
  void clear() {
    bytes_.clear();
    entries_ = 0;
    dropped_ = 0;
  }

 private:
  std::vector<uint8_t> bytes_;
  uint32_t entries_ = 0;
  uint32_t dropped_ = 0;
};

}  // namespace copper
