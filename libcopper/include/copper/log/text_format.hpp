// Offline side of structured text logging: rebuilding an entry's text with
// fmt from its string's format and its tagged arguments (the reader hands
// out both: CheckReport::strings, LogReader::for_each_text). Nothing here
// trusts its input: every length is checked against the bytes present, and
// a format that does not fit its arguments is an error value, never a read
// out of bounds or an escaping exception. Byte layout: docs/log-format.md,
// "text payload".
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "copper/export.hpp"
#include "copper/log/format.hpp"
#include "copper/status.hpp"

namespace copper::log {

// Formats `format` (fmt syntax) with the arg_count arguments encoded in
// `args`, which must be consumed exactly. Float arguments are formatted as
// float, so the text equals what fmt::format would have produced live. A
// text longer than 64 KiB (a format asking for a huge width or precision)
// is an error.
COPPER_API Result<std::string> format_text(std::string_view format, uint8_t arg_count, std::span<const uint8_t> args);

}  // namespace copper::log
