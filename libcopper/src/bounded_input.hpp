// Reading what comes from outside copper, within bounds. A config, a file
// read whole or a JSON document (a config, the log's metadata and summary)
// may be hostile or broken: it must give a clear error, never block on a
// FIFO, read a device without end, overflow the stack on deep nesting or
// abort on a number no double holds. Every whole-file read and every JSON
// parse of the library goes through here (docs/decisions.md, "Bounded
// input").
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "copper/status.hpp"

namespace copper::detail {

// A file read whole (a config) is a regular file of at most this size.
inline constexpr uint64_t kMaxInputFileBytes = uint64_t{16} << 20;
// A JSON document parsed at all is at most this size.
inline constexpr size_t kMaxJsonBytes = size_t{64} << 20;
// Nesting: a config may nest kMaxConfigDepth levels; the log's metadata
// holds it one level down, and documents read back from a log may nest
// kMaxJsonDepth, so whatever the recorder accepted, the reader reads.
inline constexpr size_t kMaxConfigDepth = 64;
inline constexpr size_t kMaxJsonDepth = 128;

// The bytes of the regular file at `path`, at most `max_bytes` of them. A
// FIFO, device, socket or directory is refused without reading (it is
// opened non-blocking). `what` names the file's role in messages ("config
// file"); the caller names the path. Errors: not_found when it does not
// exist, invalid_argument otherwise.
Result<std::string> read_input_file(const std::filesystem::path& path, std::string_view what,
                                    uint64_t max_bytes = kMaxInputFileBytes);

// `text` parsed as JSON, refused (invalid_argument) when it is larger
// than kMaxJsonBytes, nests deeper than `max_depth` arrays and objects, is
// malformed (line and column) or holds a number no double can hold (the
// JSON path of the value). `what` names the document in the messages
// ("a config").
Result<nlohmann::json> parse_json_bounded(std::string_view text, std::string_view what,
                                          size_t max_depth = kMaxJsonDepth);

}  // namespace copper::detail
