// Where a task's text-log entries go during one copperlist: an arena the
// copperlist owns. Apart from text_log.hpp (the macros and the string
// table) so that the runtime's copperlist does not depend on the log's
// format: to the runtime these are opaque bytes it hands to a commit sink.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "copper/export.hpp"

namespace copper {

// One task's text-log entries for one copperlist: a fixed-capacity arena,
// allocated once. An entry that does not fit is dropped and counted, never
// allocated for: the per-cycle path must not allocate.
class COPPER_API TextLogBuffer {
 public:
  // The arena is sized (not just reserved) up front so that reserve() is a
  // compare and an add, and so a copy keeps the full capacity.
  explicit TextLogBuffer(size_t capacity = kDefaultCapacity) : bytes_(capacity) {}

  static constexpr size_t kDefaultCapacity = 2048;

  // Space for an entry of n bytes, or nullptr (and a drop counted) when full.
  uint8_t* reserve(size_t n) {
    if (n > bytes_.size() - used_) {
      ++dropped_;
      return nullptr;
    }
    uint8_t* at = bytes_.data() + used_;
    used_ += n;
    ++entries_;
    return at;
  }

  // Counts an entry that was refused before any space was asked for (its
  // arguments are too long for the entry layout).
  void count_drop() { ++dropped_; }

  std::span<const uint8_t> bytes() const { return {bytes_.data(), used_}; }
  size_t capacity() const { return bytes_.size(); }
  uint32_t entry_count() const { return entries_; }
  uint32_t dropped() const { return dropped_; }
  void clear() {
    used_ = 0;
    entries_ = 0;
    dropped_ = 0;
  }

 private:
  std::vector<uint8_t> bytes_;
  size_t used_ = 0;
  uint32_t entries_ = 0;
  uint32_t dropped_ = 0;
};

}  // namespace copper
