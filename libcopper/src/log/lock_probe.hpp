// Who holds a flock on a log: the writer's lock (file.cpp takes an
// exclusive flock for as long as it writes) tells a reader whether a log is
// still being written (docs/log-format.md, "Reading a log that is being
// written"), and names the holder when a second writer is refused.
//
// Read from /proc/locks, never by taking a lock: a reader's probe must not
// make a recorder starting at that moment (`--force` probes the old log
// with LOCK_EX) believe the log is being written.
#pragma once

#include <optional>
#include <string>

namespace copper::log::detail {

// "pid 1234, copper-record" for a process holding a flock on the file open
// as `fd` (from /proc/locks), or "" when none does or it cannot be told.
std::string flock_holder(int fd);

// True while some process holds an exclusive flock on the file open as
// `fd`. Without /proc/locks, told by trying a shared lock and dropping it.
bool held_for_writing(int fd);

}  // namespace copper::log::detail
