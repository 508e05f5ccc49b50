// Following a log that a running recorder is still writing
// (docs/log-format.md, "Reading a log that is being written").
//
//   FollowOptions options;
//   options.stop = [] { return interrupted(); };
//   auto follower = copper::log::LogFollower::open("run.copper", options);
//   if (!follower) { print(follower.error_message()); return; }
//   while (const CopperListView* cl = follower->next_copperlist())
//     print(follower->reader().copperlist_to_json(*cl).dump());
//   if (follower->end() != FollowEnd::stopped) report(follower->final_reader().check());
//
// The rule: a follower returns only whole records whose checksum verified,
// in file order, each once. Where the next record does not verify yet, it
// waits (polling every `poll`) while the log's writer holds its lock, until
// the record verifies, or the writer has moved on to a later slab (then
// the bytes are damage and are skipped, as LogReader skips them), or the
// writer is gone (its flock released: killed, crashed or closed). Then it
// reads to the end once more with the closed-log rules (salvage) and ends.
// So what a follower returns is exactly what a LogReader opened on the
// finished file returns.
//
// A follower started before the recording waits for the file to appear,
// and for a recorder writing `.<name>.XXXXXX` beside it (`--force`) to
// rename it into place; it follows the file it opened (its inode), not
// later renames.
//
// Not thread-safe; the views returned are valid until the next call.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>

#include "copper/export.hpp"
#include "copper/log/reader.hpp"
#include "copper/status.hpp"

namespace copper::log {

struct FollowOptions {
  // How often the file is looked at again while nothing new verifies.
  std::chrono::milliseconds poll{25};
  // A file that exists with no writer and not even a whole header may be a
  // recorder between creating and locking it: it is waited for this long.
  std::chrono::milliseconds start_grace{2000};
  // Asked at every poll: true ends the follow now (Ctrl-C), as `stopped`.
  std::function<bool()> stop;
  // Called before each wait: a consumer flushes what it holds, so its
  // output keeps up with the log while the log is quiet.
  std::function<void()> idle;
};

enum class FollowEnd {
  running,   // not ended yet
  closed,    // the writer closed the log cleanly (footer and clean_close)
  unclosed,  // the writer is gone and the log was not closed: salvaged as check does
  stopped,   // FollowOptions::stop asked
};
COPPER_API const char* to_string(FollowEnd end);

class COPPER_API LogFollower {
 public:
  // Waits for the file and its metadata record (or for the writer to end
  // without one: then whatever LogReader::open makes of the file). Errors
  // are LogReader::open's, or "stopped" when FollowOptions::stop asked.
  static Result<LogFollower> open(const std::filesystem::path& path, FollowOptions options = {});

  LogFollower(LogFollower&&) noexcept;
  LogFollower& operator=(LogFollower&&) noexcept;
  ~LogFollower();

  // The log as opened once its metadata was there: metadata, header,
  // decoders, copperlist_to_json. Its check() saw only that moment's file.
  LogReader& reader();

  // The next verified record (padding excluded, payload decompressed),
  // waiting for it; null once the follow has ended (see end()).
  const RecordView* next_record();
  // The next copperlist, waiting for it; records of other types are handed
  // to `other` on the way. Ids increase: where they go back (stale data),
  // no more copperlists are returned. Null once the follow has ended.
  const CopperListView* next_copperlist(const std::function<void(const RecordView&)>& other = {});

  FollowEnd end() const;
  // After an end other than `stopped`: the file as its writer left it,
  // opened afresh, for check() (the verdict `copper-log check` gives).
  LogReader& final_reader();

 private:
  struct Impl;
  explicit LogFollower(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace copper::log
