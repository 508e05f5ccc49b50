// How a task's call in one copperlist ended: what a copperlist keeps per
// task, and the status byte of every task record in the log
// (docs/log-format.md), whose values these are.
#pragma once

#include <cstdint>

#include "copper/export.hpp"

namespace copper {

enum class TaskStatus : uint8_t {
  not_run = 0,  // not run (yet) in this copperlist
  ok = 1,
  failed = 2,
};

inline constexpr uint8_t kMaxTaskStatus = 2;

// "not_run", "ok", "failed"; "unknown" for a value no copper writes.
COPPER_API const char* to_string(TaskStatus status);

}  // namespace copper
