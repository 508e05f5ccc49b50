// --follow on copper-log export, text and stats: read a log while
// copper-record writes it (LogFollower, docs/log-format.md "Reading a log
// that is being written"), output as records land, until the recorder ends
// (then the verdict check gives decides the exit code) or SIGINT/SIGTERM
// (then what was read is written out, exit 0).
#pragma once

#include <optional>
#include <string>

#include "copper/log/follow.hpp"
#include "export.hpp"
#include "session.hpp"
#include "stats.hpp"
#include "text.hpp"

namespace copper::logtool {

// The follower's options for the tools: stop on SIGINT/SIGTERM (the handler
// log_main installs for --follow), and `idle` before each wait.
log::FollowOptions follow_options(std::function<void()> idle);

// Opens a log to follow, waiting for it; on failure prints "error: <reason>"
// on io.err (nothing when Ctrl-C ended the wait). Refuses (as open_decodable_log) a log without metadata.
std::optional<log::LogFollower> open_follower(const std::string& path, const log::FollowOptions& options,
                                              std::ostream& err);

// The exit code when open_follower failed: 0 when Ctrl-C ended the wait
// for the log (nothing was read), else 2.
int not_followed();

// The exit code of a follow that ended: 0 when stopped by a signal or by
// the caller (--to reached), or when the log was closed healthy; otherwise check's (docs/exit-codes.md), with
// check's verdict line on io.err.
int follow_exit(log::LogFollower& follower, const std::string& path, std::ostream& err);

// Why `export --follow` cannot write this format, or "" when it can: a
// format can be followed when its output grows copperlist by copperlist.
// A new format (mcap: a chunk per batch of copperlists) adds its case here
// and its writer to run_export_follow.
std::string follow_refusal(ExportFormat format);

int run_export_follow(const ExportOptions& options, Io io);
int run_text_follow(const TextOptions& options, Io io);
// options.terminal: a table redrawn in place every second; else a JSON
// line (stats --json's object) every second and one at the end.
int run_stats_follow(const StatsOptions& options, Io io);

}  // namespace copper::logtool
