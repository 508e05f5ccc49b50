// copper-replay's fleet commands (docs/fleet-replay.md): `plan` cuts logs
// into segment jobs, `--jobs` runs one of them and writes its segment
// report, `merge` folds the reports into one verdict, `slurm` writes (and
// submits) the job array that runs a plan.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "copper/status.hpp"
#include "replay/fleet_plan.hpp"
#include "report.hpp"

namespace copper::replay_cli {

int plan_main(int argc, char** argv);
int merge_main(int argc, char** argv);
int slurm_main(int argc, char** argv);

// Writes `text` or `json` to `path` whole or not at all (output_file.hpp).
Status write_text_file(const std::filesystem::path& path, const std::string& text);
Status write_json_file(const std::filesystem::path& path, const nlohmann::json& json);

// The job a `--jobs` run replays, and where its report goes.
struct SegmentRun {
  fleet::Job job;
  std::filesystem::path report;
  std::chrono::steady_clock::time_point started;  // when the tool started on the job
  std::chrono::steady_clock::time_point opened;   // when the log was open and checked
};

// Reads the jobs file, picks the job (`index`, else the batch engine's
// environment), checks that its log is the one planned. Errors (exit 2)
// are printed; a changed log also gets a failed report, so the merge can
// say which segment failed and why.
std::optional<SegmentRun> prepare_segment(const std::string& jobs_file, std::optional<uint64_t> index,
                                          const std::string& report_dir);

// The report of a segment that could not run.
void report_segment_failure(const SegmentRun& segment, std::string_view error);

// The report of a segment that ran: what a merge needs.
Status report_segment(const SegmentRun& segment, const Replay& replay, const Runs& runs, const Verdict& verdict,
                      const nlohmann::json& code_changed);

}  // namespace copper::replay_cli
