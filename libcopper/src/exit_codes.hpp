// The exit codes of copper-record, copper-replay and copper-log: one table
// for the three tools, documented once in docs/exit-codes.md.
//
// The rule: 2 means the tool could not do its job because of what it was
// given (arguments, config, an input it cannot read, an output that exists);
// 1 means it did its job and the answer is "no" or the work failed while
// running (a task failed, the disk filled, the replay diverged, the logs
// differ); 3 is copper-log check/recover's "damaged, salvaged".
#pragma once

#include "copper/status.hpp"

namespace copper {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitCannotRun = 2;
inline constexpr int kExitDamaged = 3;

// The exit code for an error that ends a tool, from its kind: the user's
// input (invalid, missing, existing, not a copper log) cannot run; what the
// system or a task refused while running failed.
inline int exit_code_for(const Status& status) {
  switch (status.code()) {
    case StatusCode::ok: return kExitOk;
    case StatusCode::invalid_argument:
    case StatusCode::not_found:
    case StatusCode::already_exists:
    case StatusCode::corruption: return kExitCannotRun;
    case StatusCode::unknown:
    case StatusCode::io_error:
    case StatusCode::aborted: return kExitFailed;
  }
  return kExitFailed;
}

}  // namespace copper
