// Fleet replay's reports: a segment's timing written exactly (histogram
// buckets, not only percentiles), and the merge of a plan's segment
// reports into one verdict per log and one for the plan. A segment missing
// or failed makes its log, and the plan, "incomplete": never "identical".
// docs/fleet-replay.md has the formats.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "copper/replay.hpp"
#include "copper/stats.hpp"
#include "fleet_plan.hpp"

namespace copper::fleet {

inline constexpr int kSegmentReportFormat = 1;

// {"count", "p50_ns", "p99_ns", "max_ns", "min_ns", "sum": [low, high],
//  "buckets": [[index, count], ...]}: the percentiles for people, the rest
// for an exact merge.
nlohmann::json histogram_json(const LatencyHistogram& histogram);
Result<LatencyHistogram> histogram_from_json(const nlohmann::json& json);

// TIMING of replay/README.md, the tasks named by `task_ids` (by index).
nlohmann::json timing_json(const std::vector<std::string>& task_ids, const RunTiming& timing);
Result<RunTiming> timing_from_json(const nlohmann::json& json, const std::vector<std::string>& task_ids);

// One replay mode's figures over all the segments of a log.
struct MergedRun {
  bool identical = true;
  uint64_t replayed = 0, compared = 0, diverged_cls = 0;
  std::map<std::string, uint64_t> diverged_per_task;
  nlohmann::json first_divergence;    // the report's, from the earliest segment with one; null: none
  std::vector<std::string> failures;  // "segment i: ..." for each segment that did not end as the recording
  std::string input_end;              // the log's last segment's
  RunTiming timing;
};

struct MergedLog {
  std::string log, run_id;
  std::string verdict;  // identical | diverged | incomplete
  uint64_t segments = 0;
  std::vector<uint64_t> missing;                         // segment numbers (within the log) without a report
  std::vector<std::pair<uint64_t, std::string>> failed;  // segment, why it could not run
  std::vector<std::string> task_ids;
  std::vector<std::string> modes;  // replay modes, as in the reports
  std::vector<MergedRun> runs;     // by mode
  std::optional<RunTiming> recorded;
  std::vector<SkippedRange> skipped;
  std::vector<std::string> notes;
};

struct Merged {
  std::string plan;
  uint64_t jobs = 0, reports = 0;
  std::string verdict;            // identical | diverged | incomplete
  std::vector<uint64_t> missing;  // job indices without a report
  std::vector<MergedLog> logs;    // in plan order
};

// The segment reports named (a directory: every *.json in it), merged.
// Errors (exit 2): a file that is not a segment report (naming it and
// what is wrong), reports of several plans, two reports for one job.
// `jobs`, when given (the plan's jobs file), names the logs of segments
// that have no report at all.
Result<Merged> merge_reports(const std::vector<std::string>& paths, const std::vector<Job>* jobs);

nlohmann::json merged_json(const Merged& merged);

}  // namespace copper::fleet
