// Checks for the tools' numeric options (copper-record, copper-replay,
// copper-log), run by CLI11 on the text before it converts it: a flag
// refuses what it cannot mean (a negative count, NaN, an infinity, a value
// past its type, a rate the runtime cannot keep) instead of wrapping or
// saturating into something else. CLI11 names the flag in the error and
// parse_command_line makes it exit 2.
#pragma once

#include <CLI/CLI.hpp>

namespace copper::cli {

// A whole number that fits uint64: decimal digits only ("-1", "1e3",
// "0x10" are refused). Add it with ->transform, not ->check: it drops
// leading zeros, so that "010" is ten (CLI11 would read it as octal).
CLI::Validator whole_number();

// Seconds and cycles per second within config.hpp's limits
// (duration_s_problem, rate_hz_problem), 0 meaning no limit.
CLI::Validator duration_seconds();
CLI::Validator rate_hz();

// An fsync policy and a compression as a config's logging section takes
// them (policy.hpp's parsers), checked when the flag is read.
CLI::Validator fsync_policy();
CLI::Validator compression();

}  // namespace copper::cli
