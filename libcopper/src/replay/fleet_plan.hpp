// Fleet replay's plan: the logs cut at their keyframes into segments, one
// job each, that a batch engine (a Slurm job array, a Kubernetes Indexed
// Job, an AWS Batch array job) runs by index. A segment starts at the
// beginning of the recording or at a keyframe, so its replay starts with
// every task in the recorded state and compares exactly its copperlists;
// the segments of a log cover what a whole-log replay compares, no more,
// no less (segments.hpp decides that, for both). docs/fleet-replay.md.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "copper/replay.hpp"
#include "copper/status.hpp"

namespace copper::fleet {

// One job of a plan: a line of the jobs file.
struct Job {
  std::string plan;  // the plan's id: reports of another plan are refused
  uint64_t index = 0;
  uint64_t jobs = 0;  // in the whole plan
  std::string log;    // absolute path
  std::string run_id;
  uint64_t log_size = 0;
  uint64_t segment = 0;   // within its log
  uint64_t segments = 0;  // of its log
  uint64_t from = 0;
  uint64_t to = 0;
  bool open_end = false;  // the log's last segment: runs to the log's end (its recorded failure, its end note)
  std::optional<uint64_t> start_keyframe;
  uint64_t compared = 0;              // copperlists it compares: to - from + 1
  uint64_t cost_ns = 0;               // the recorded process time of its copperlists, all tasks
  std::vector<std::string> notes;     // about its log: no keyframes, damage
  std::vector<SkippedRange> skipped;  // its log's intact copperlists no replay can run (after damage)
};

nlohmann::json to_json(const Job& job);
// [{"first", "last", "why"}, ...]: the report's and the plan's form.
nlohmann::json skipped_json(const std::vector<SkippedRange>& skipped);
// A jobs-file line read back; the error names the field that is wrong.
Result<Job> job_from_json(const nlohmann::json& line);

// How long segments are: about `cls` copperlists, or `count` per log.
struct SegmentSize {
  uint64_t cls = 0;
  uint64_t count = 0;
};

// The cuts of the intact run [first, last], which starts at the recording's
// start or at a keyframe, at keyframes (ascending), into pieces of about
// `target` copperlists: each cut is the keyframe nearest the target length.
std::vector<std::pair<uint64_t, uint64_t>> cut_at_keyframes(uint64_t first, uint64_t last,
                                                            const std::vector<uint64_t>& keyframes, uint64_t target);

struct Plan {
  std::vector<Job> jobs;
  std::vector<std::string> warnings;  // "LOG: ..." lines for the user
};

// Plans every log (a directory: every *.copper below it, sorted). An error
// for a path that is neither, a log that does not open or holds nothing a
// replay could compare: a verdict must never leave a log out unsaid.
Result<Plan> plan_logs(const std::vector<std::string>& paths, const SegmentSize& size);

// The jobs file: one line per job, the plan's id in each.
std::string jobs_text(const Plan& plan);
// Reads a jobs file: every line must be a job of one plan, with indices
// 0..n-1 in order; errors name the file and line.
Result<std::vector<Job>> read_jobs(const std::filesystem::path& path);

// The log at job.log is the one planned: same run id, same size.
Status check_log_unchanged(const Job& job);

// The job index the batch engine gives: SLURM_ARRAY_TASK_ID, else
// JOB_COMPLETION_INDEX (Kubernetes), else AWS_BATCH_JOB_ARRAY_INDEX; an
// error when none is set or the one set is not a whole number.
Result<uint64_t> job_index_from_environment();

}  // namespace copper::fleet
