// Re-signing a mutated log image so that the reader's payload parsers see
// it: a random change to a record almost always breaks its checksum, and a
// record whose checksum fails never reaches a parser. The fuzz targets'
// custom mutators call this after every mutation.
#pragma once

#include <cstdint>
#include <span>

namespace copper_fuzz {

// Recomputes the file header's checksum, when the image holds a header,
// and the checksum of every record: every 8-aligned sync word after the
// header whose stated payload lies inside the image. Records are re-signed
// from the last to the first, so a record header found inside another
// record's payload is fixed before the record holding it.
void refix_checksums(std::span<uint8_t> image);

}  // namespace copper_fuzz
