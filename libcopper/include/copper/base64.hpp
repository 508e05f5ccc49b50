// Base64 (RFC 4648, standard alphabet, with padding): how exported logs
// carry byte arrays (images, raw frames) inside JSON and CSV, where an
// array of numbers would be several times larger and slower to write.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "copper/export.hpp"
#include "copper/status.hpp"

namespace copper {

// Appends the encoding of `bytes` to `out`.
COPPER_API void base64_append(std::string& out, std::span<const uint8_t> bytes);
COPPER_API std::string base64_encode(std::span<const uint8_t> bytes);

// Strict: the length must be a multiple of 4, padding only at the end, no
// whitespace; the error names the first offending position.
COPPER_API Result<std::vector<uint8_t>> base64_decode(std::string_view text);

}  // namespace copper
