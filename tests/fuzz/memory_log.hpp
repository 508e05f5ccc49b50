// A LogReader over bytes in memory, for the fuzz targets: no file is
// written for an input, the reader maps nothing.
#pragma once

#include <cstdint>
#include <span>

#include "copper/log/reader.hpp"

namespace copper_fuzz {

// `bytes` must outlive the reader.
copper::Result<copper::log::LogReader> open_in_memory(std::span<const uint8_t> bytes);

}  // namespace copper_fuzz
