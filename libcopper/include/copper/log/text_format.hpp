// Offline side of structured text logging: reading text entries and string
// records back and rebuilding the text with fmt. Nothing here trusts its
// input: every length is checked against the bytes actually present, and a
// malformed entry or a format that does not fit its arguments is an error
// value, never a read out of bounds or an escaping exception.
// Byte layouts: docs/log-format.md, "text payload" and record type 4.
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
#include "copper/text_log.hpp"

namespace copper::log {

// One entry; `args` points into the parsed bytes, which must outlive it.
struct TextEntryView {
  uint64_t cl_id = 0;
  uint32_t task_index = 0;  // kNoTask: not from a task
  uint32_t string_id = 0;
  TextLevel level = TextLevel::info;
  uint8_t arg_count = 0;
  std::span<const uint8_t> args;  // args_length bytes: tag + value per arg
};

// Splits concatenated entries (TextLogBuffer::bytes(), or a text payload
// after its u32 entry_count) into views. The bytes must hold exactly
// expected_count entries; the arguments are not decoded here (format_text
// does), only their total length is checked.
COPPER_API Result<std::vector<TextEntryView>> parse_text_entries(std::span<const uint8_t> bytes,
                                                      uint32_t expected_count);

// A whole text record payload: u32 entry_count, then the entries.
COPPER_API Result<std::vector<TextEntryView>> parse_text_payload(std::span<const uint8_t> payload);

// Formats `format` (fmt syntax) with the arg_count arguments encoded in
// `args`, which must be consumed exactly. Float arguments are formatted as
// float, so the text equals what fmt::format would have produced live.
COPPER_API Result<std::string> format_text(std::string_view format, uint8_t arg_count, std::span<const uint8_t> args);

// Record type 4 (string): its payload size, its encoding into `out` (which
// has string_record_size() bytes), and its decoding (views into `payload`).
COPPER_API size_t string_record_size(const ::copper::TextString& s);
COPPER_API void encode_string_record(const ::copper::TextString& s, uint8_t* out);
COPPER_API Result<::copper::TextString> parse_string_record(std::span<const uint8_t> payload);

}  // namespace copper::log
