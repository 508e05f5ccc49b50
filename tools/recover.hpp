// copper-log recover: everything salvageable from a damaged or unclosed
// log, written through the real log writer into a clean, closed log, and a
// statement of what was lost.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "session.hpp"

namespace copper::logtool {

struct RecoverOptions {
  std::string log;
  std::string output;
  bool force = false;                   // overwrite OUT
  std::optional<std::string> compress;  // "none" | "zstd[:level]"; default: the original's
  bool json = false;
};

struct RecoverResult {
  uint64_t copperlists = 0;  // written
  uint64_t text_entries = 0;
  uint64_t keyframes = 0;
};

// Exit codes as check's, for the input: 0 nothing was lost, 3 a log was
// written but something was lost, 2 the input is unreadable (or the
// output exists), 1 writing the output failed.
int run_recover(const RecoverOptions& options, Io io);

}  // namespace copper::logtool
