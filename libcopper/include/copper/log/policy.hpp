// The knobs of the log writer that come from the config and the command
// line: when data is made durable, whether copperlists are compressed, and
// the slab size. parse() accepts exactly what parse_config validates
// (config.cpp), so a value that passed the config check always parses here.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "copper/export.hpp"
#include "copper/log/format.hpp"
#include "copper/status.hpp"

namespace copper::log {

struct COPPER_API FsyncPolicy {
  enum class Kind { none, bytes, interval, commit };

  Kind kind = Kind::bytes;
  uint64_t bytes = 8u << 20;   // Kind::bytes: sync after this many appended bytes
  uint64_t interval_ms = 0;    // Kind::interval: sync this often when something was appended

  static FsyncPolicy none() { return {Kind::none, 0, 0}; }
  static FsyncPolicy commit() { return {Kind::commit, 0, 0}; }
  static FsyncPolicy every_bytes(uint64_t n) { return {Kind::bytes, n, 0}; }
  static FsyncPolicy every_ms(uint64_t ms) { return {Kind::interval, 0, ms}; }
  // The longest interval parse() takes: a day. Longer ones mean nothing,
  // and past int64 milliseconds the flusher's wait would overflow.
  static constexpr uint64_t kMaxIntervalMs = 86'400'000;

  // "none", "commit", "bytes:N[B|KiB|MiB|GiB]", "interval:MS"
  static Result<FsyncPolicy> parse(std::string_view text);
  // The canonical text, e.g. "bytes:8MiB"; parse(to_string()) round-trips.
  std::string to_string() const;
};

struct COPPER_API Compression {
  enum class Kind { none, zstd };
  static constexpr int kDefaultLevel = 3;

  Kind kind = Kind::none;
  int level = kDefaultLevel;  // zstd level, 1..22

  static Compression none() { return {}; }
  static Compression zstd(int zstd_level = kDefaultLevel) { return {Kind::zstd, zstd_level}; }

  // "none", "zstd", "zstd:L" with L in 1..22
  static Result<Compression> parse(std::string_view text);
  std::string to_string() const;
};

// The file grows in slabs and a record must fit in one (docs/log-format.md).
// A slab size is a power of two from kMinSlabSize to kMaxSlabSize (so a
// multiple of the page size), written "N[B|KiB|MiB|GiB]".
inline constexpr uint64_t kMaxSlabSize = uint64_t{1} << 30;
COPPER_API Result<uint64_t> parse_slab_size(std::string_view text);
COPPER_API std::string slab_size_to_string(uint64_t bytes);  // "8MiB"
// The rule in words, for the errors that name it.
inline constexpr std::string_view kSlabSizeRule = "a power of two from 64KiB to 1GiB, e.g. 32MiB";

}  // namespace copper::log
