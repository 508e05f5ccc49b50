// Replay: re-executing a recorded log to check a code change, a compiler
// upgrade or a parallel configuration against what the robot really did.
//
//   auto log = copper::Replay::open("run.copper", copper::Registry::global());
//   if (!log) { print(log.error_message()); return 2; }
//   copper::ReplayOptions options;            // serial, whole log
//   auto outcome = log->run(options);
//   if (outcome.ok() && outcome->identical()) ...
//
// The graph is rebuilt from the config embedded in the log. Sources are not
// run: each is replaced by a stand-in that outputs what was recorded. Every
// other task runs again, seeing the recorded copperlist times. Each output
// is compared with the recording: hash first, then, on a mismatch, field by
// field through the message schema. `from` starts at the nearest keyframe at
// or before it (the states are thawed into the tasks) and compares from
// `from` on.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "copper/json_diff.hpp"  // first_json_difference, used with Divergence
#include "copper/registry.hpp"
#include "copper/runtime.hpp"
#include "copper/stats.hpp"
#include "copper/status.hpp"

namespace copper {

struct ReplayOptions {
  RunMode mode = RunMode::serial;
  ParallelOptions parallel;           // for RunMode::parallel
  std::optional<uint64_t> from;       // compare from this copperlist on
  std::optional<uint64_t> to;         // last copperlist replayed
  std::filesystem::path output;       // write the replay as a new log; empty: none
  bool overwrite_output = false;
  CommitSink* observer = nullptr;     // also sees every replayed copperlist (progress, statistics)
};

// Where a replayed output first differs from the recorded one.
struct Divergence {
  uint64_t cl_id = 0;
  std::string task_id;        // the producer of the slot
  std::string field_path;     // e.g. "pose.x" or "ranges[12]"; empty: whole message
  nlohmann::json recorded;
  nlohmann::json replayed;

  // "copperlist 41, task "pose", field pose.x: recorded 1.5, replayed 1.25"
  std::string describe() const;
};

// Per-task process time and end-to-end latency (first task start to last
// task end) over the copperlists of one run, recorded or replayed.
struct RunTiming {
  uint64_t copperlists = 0;
  Nanos wall_time = 0;
  std::vector<LatencyHistogram> tasks;  // by task index
  LatencyHistogram end_to_end;

  double cls_per_second() const;
};

struct ReplayOutcome {
  RunReport run;                 // the executor's report
  uint64_t replayed = 0;         // copperlists re-executed
  uint64_t compared = 0;         // of those, compared with the recording
  uint64_t diverged_cls = 0;     // compared copperlists with at least one differing output
  std::map<std::string, uint64_t> diverged_per_task;  // task id -> copperlists where it differed
  std::optional<Divergence> first_divergence;
  std::optional<uint64_t> started_at;  // the keyframe the replay started from, if any
  std::string input_end;               // set when the log ran out or had a gap: where and why
  // One per replayed copperlist, folding each output in as "as recorded"
  // or, when it diverges, as its bytes' hash: two replays' values are equal
  // exactly when their outputs are (up to XXH3 collisions).
  std::vector<uint64_t> output_hashes;
  RunTiming timing;

  bool identical() const { return run.ok() && diverged_cls == 0; }
};

class Replay {
 public:
  // Reads the log's metadata and checks that this binary can replay it:
  // every task type known, every message schema the one recorded. The error
  // lists every unknown task type at once.
  static Result<Replay> open(const std::filesystem::path& log, const Registry& registry);

  Replay(Replay&&) noexcept;
  Replay& operator=(Replay&&) noexcept;
  ~Replay();

  // One replay: a fresh graph, so several runs are independent. An error is
  // returned for what stops a replay from starting (a task without thaw
  // under `from`, an output log that cannot be created); a replay that
  // starts always gives an outcome, even when a task fails.
  Result<ReplayOutcome> run(const ReplayOptions& options);

  // The recording's own figures, for comparison with the replays.
  const RunTiming& recorded_timing() const;
  // Task ids by index, as in the log.
  const std::vector<std::string>& task_ids() const;
  // Damage met while reading the log (offsets and reasons), one line each.
  const std::vector<std::string>& damage() const;
  // The copperlist ids present in the log: [first, last], and the first gap.
  std::optional<uint64_t> first_cl() const;
  std::optional<uint64_t> last_cl() const;
  std::optional<uint64_t> first_missing_cl() const;

 private:
  struct Impl;
  explicit Replay(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace copper
