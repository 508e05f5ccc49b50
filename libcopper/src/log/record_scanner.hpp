// Walking the records of a log image: framing, verification, salvage
// (docs/log-format.md, "Salvage"), and payload decompression. Internal to
// the reader.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "copper/log/reader.hpp"
#include "layout.hpp"

namespace copper::log::detail {

// A record whose framing and checksum verified; `stored` is the payload as
// it is on disk (still compressed when flags say zstd).
struct RawRecord {
  uint16_t type = 0;
  uint16_t flags = 0;
  uint64_t offset = 0;
  uint64_t footprint = 0;
  std::span<const uint8_t> stored;
};

// How a file frames its records: the slab size bounds each one, and every
// checksum is seeded with the file's record seed (layout.hpp, record_seed).
struct Framing {
  uint64_t slab_size = 0;
  uint64_t seed = 0;
};

// Verifies the record at `offset` (8-aligned) against the file and the slab
// it sits in. Returns nullptr and fills `out`, or why it does not verify.
const char* verify_record(std::span<const uint8_t> file, uint64_t offset, const Framing& framing, RawRecord& out);

// One past the last non-zero byte, rounded up to 8 (and capped at the file
// size): everything from here on is an unwritten tail.
uint64_t written_end(std::span<const uint8_t> file);

class RecordScanner {
 public:
  RecordScanner(std::span<const uint8_t> file, const Framing& framing, uint64_t written_end, uint64_t start);

  // The next verified record (padding skipped), or nullopt at the end.
  // Damage met on the way is recorded, never returned.
  std::optional<RawRecord> next();

  const std::vector<Damage>& damage() const { return damage_; }
  uint64_t unwritten_tail() const { return tail_; }

 private:
  void skip_damage(const char* why);
  uint64_t resync(uint64_t from) const;
  bool all_zero(uint64_t begin, uint64_t end) const;

  std::span<const uint8_t> file_;
  Framing framing_;
  uint64_t written_end_;
  uint64_t pos_;
  uint64_t tail_ = 0;
  std::vector<Damage> damage_;
};

// Turns a stored payload into the payload proper, decompressing into a
// buffer it reuses; the span is valid until the next call.
class PayloadDecoder {
 public:
  // The largest decompressed payload accepted: a frame claiming more is damage.
  static constexpr uint64_t kMaxContentSize = uint64_t{1} << 30;

  Result<std::span<const uint8_t>> decode(const RawRecord& record);

 private:
  std::vector<uint8_t> buffer_;
};

// Damage for a record that verified but whose contents are wrong.
Damage record_damage(const RawRecord& record, std::string_view problem);

}  // namespace copper::log::detail
