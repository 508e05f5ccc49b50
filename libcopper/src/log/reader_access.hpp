// What the follower (follow.cpp) needs of a LogReader's internals to walk
// the same records with the same rules: the mapped bytes, the framing
// (slab size and record seed) the reader settled on, where the written
// bytes end, and where a walk must stop.
#pragma once

#include <cstdint>
#include <span>

#include "copper/log/reader.hpp"
#include "record_scanner.hpp"

namespace copper::log {

struct ReaderAccess {
  static std::span<const uint8_t> bytes(const LogReader& reader);
  static detail::Framing framing(const LogReader& reader);
  static uint64_t written_end(const LogReader& reader);
  // The offset no walk passes (UINT64_MAX: none), as for_each_record.
  static uint64_t walk_end(LogReader& reader);
};

}  // namespace copper::log
