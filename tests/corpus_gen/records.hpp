// Reading back the records of a log the real writer just produced, for the
// corpus generator (main.cpp). The logs are the writer's own, so anything
// unexpected is a bug in the generator or the writer: it throws, it does
// not salvage.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "copper/log/format.hpp"

namespace corpus {

namespace lg = copper::log;
using Bytes = std::vector<uint8_t>;

// Every corpus log uses the smallest slab, so that slab boundaries and
// padding show up in files a few tens of KiB long.
inline constexpr uint64_t kSlab = lg::kMinSlabSize;

// Throws std::runtime_error(what) unless ok.
void require(bool ok, const std::string& what);

// The whole file; throws when it cannot be read.
Bytes read_file(const std::filesystem::path& path);

struct Rec {
  uint16_t type = 0;
  uint16_t flags = 0;  // as stored
  Bytes payload;       // decompressed
  uint64_t offset = 0;
  uint64_t end = 0;  // offset + footprint
  uint64_t stored_length = 0;
};

// Every record but padding, in file order. A zero tail ends the walk.
std::vector<Rec> parse_records(std::span<const uint8_t> file);

bool is(const Rec& rec, lg::RecordType type);

// First and last copperlist id of a copperlists record.
std::pair<uint64_t, uint64_t> cl_range(const Rec& rec);

Bytes zstd_decompress(std::span<const uint8_t> stored);
Bytes zstd_compress(std::span<const uint8_t> raw, int level);

}  // namespace corpus
