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

#include "copper/export.hpp"
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
struct COPPER_API Divergence {
  // How many of the message's differing fields are kept (`fields`).
  static constexpr size_t kFieldLimit = 8;

  uint64_t cl_id = 0;
  std::string task_id;        // the producer of the slot
  std::string field_path;     // the first differing field, e.g. "pose.x" or "ranges[12]"; empty: whole message
  nlohmann::json recorded;    // its values
  nlohmann::json replayed;
  // Every differing field of the message, up to kFieldLimit (the first is
  // the one above), and how many differ in all.
  std::vector<JsonDifference> fields;
  size_t field_count = 0;

  // "copperlist 41, task "pose", field pose.x: recorded 1.5, replayed 1.25;
  //  also pose.y: recorded 2, replayed 3 (and 4 more fields)"
  std::string describe() const;
};

// Per-task process time and end-to-end latency (first task start to last
// task end) over the copperlists of one run, recorded or replayed.
struct COPPER_API RunTiming {
  uint64_t copperlists = 0;
  Nanos wall_time = 0;
  std::vector<LatencyHistogram> tasks;  // by task index
  LatencyHistogram end_to_end;

  double cls_per_second() const;
};

// Intact copperlists a replay did not run, because the tasks' state there
// is unknown (copperlists before them are missing and no keyframe restores
// it): [first, last] and why, in words.
struct SkippedRange {
  uint64_t first = 0;
  uint64_t last = 0;
  std::string why;
};

struct COPPER_API ReplayOutcome {
  RunReport run;                 // the executor's report
  uint64_t replayed = 0;         // copperlists re-executed
  uint64_t compared = 0;         // of those, compared with the recording
  uint64_t diverged_cls = 0;     // compared copperlists with at least one differing output
  std::map<std::string, uint64_t> diverged_per_task;  // task id -> copperlists where it differed
  std::optional<Divergence> first_divergence;
  std::optional<uint64_t> started_at;  // the keyframe the replay started from, if any
  std::string input_end;               // set when the log ran out or had a gap: where and why
  // Stretches not replayed after damage; the replay restarts at the next
  // keyframe after missing copperlists (never runs tasks across a gap).
  std::vector<SkippedRange> skipped;
  // The ids replayed, [first, last] per stretch, ascending: output_hashes[i]
  // is the i-th id they hold.
  std::vector<std::pair<uint64_t, uint64_t>> replayed_ranges;
  // One per replayed copperlist, folding each output in as "as recorded"
  // or, when it diverges, as its bytes' hash: two replays' values are equal
  // exactly when their outputs are (up to XXH3 collisions).
  std::vector<uint64_t> output_hashes;
  RunTiming timing;
  // The recording stopped on a task failing in a copperlist this replay
  // reached: that failure, fed again from the log, and whether the replay
  // failed the same way (task, phase, copperlist and message).
  std::optional<TaskFailure> recorded_failure;
  bool failure_reproduced = false;
  // Why a recorded failure could not be fed again (a source failed: replay
  // does not run sources); empty otherwise.
  std::string failure_note;

  // Every compared output as recorded, and the run ended as the recording
  // did: without an error, or on the recorded failure, reproduced.
  bool identical() const {
    const bool ended_alike = recorded_failure ? failure_reproduced && run.stop_failures.empty() : run.ok();
    return ended_alike && diverged_cls == 0;
  }
};

struct ReplayOpenOptions {
  // Replay a log whose message types changed since the recording: compare
  // only the fields both schemas share (same name, same type), and rebuild
  // recorded sources' messages from them. Without it such a log is refused,
  // with the difference.
  bool allow_schema_change = false;
  // The recording's figures over the whole log (recorded_timing()): a pass
  // that decodes every copperlist. A fleet segment, which needs only its
  // own range's (recorded_timing(from, to)), skips it; the whole-log
  // figures are then empty.
  bool whole_log_timing = true;
};

class COPPER_API Replay {
 public:
  // Reads the log's metadata and checks that this program can replay it:
  // every task type known, every message schema the one recorded (or, with
  // allow_schema_change, one it can compare). The error lists every unknown
  // task type at once, or says what changed in a message type.
  static Result<Replay> open(const std::filesystem::path& log, const Registry& registry,
                             const ReplayOpenOptions& options = {});

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
  // The recording's figures over copperlists [from, to] only (a segment of
  // a fleet replay; wall time: first task start to last task end there).
  RunTiming recorded_timing(uint64_t from, uint64_t to) const;
  // Task ids by index, as in the log.
  const std::vector<std::string>& task_ids() const;
  // Damage met while reading the log (offsets and reasons), one line each.
  const std::vector<std::string>& damage() const;
  // Message types changed since the recording, and how they are compared
  // (allow_schema_change), one line each.
  const std::vector<std::string>& schema_changes() const;
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
