// copper-replay --jobs: one segment of a plan, and its report.
#include <fmt/format.h>

#include <fstream>
#include <system_error>

#include "fleet_cli.hpp"
#include "output_file.hpp"
#include "replay/fleet_merge.hpp"

namespace copper::replay_cli {

namespace {

int64_t nanos_between(std::chrono::steady_clock::time_point from, std::chrono::steady_clock::time_point to) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(to - from).count();
}

// The report's common head: which plan, which job.
nlohmann::json report_head(const SegmentRun& segment, const std::string& verdict) {
  return {{"copper_replay_segment_report", fleet::kSegmentReportFormat},
          {"plan", segment.job.plan},
          {"index", segment.job.index},
          {"jobs", segment.job.jobs},
          {"job", fleet::to_json(segment.job)},
          {"verdict", verdict}};
}

// Next to the jobs file, named for it: "jobs.jsonl" -> "jobs.reports".
std::filesystem::path default_report_dir(const std::filesystem::path& jobs_file) {
  std::filesystem::path dir = jobs_file;
  return dir.replace_extension(".reports");
}

}  // namespace

Status write_text_file(const std::filesystem::path& path, const std::string& text) {
  auto output = OutputFile::create(path, Overwrite::allow);
  if (!output) return output.status();
  std::ofstream out(output->temporary());
  out << text;
  out.close();
  if (!out) return Status::io_error(fmt::format("cannot write {}", path.string()));
  return output->commit();
}

Status write_json_file(const std::filesystem::path& path, const nlohmann::json& json) {
  return write_text_file(path, json.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
}

std::optional<SegmentRun> prepare_segment(const std::string& jobs_file, std::optional<uint64_t> index,
                                          const std::string& report_dir) {
  SegmentRun segment;
  segment.started = std::chrono::steady_clock::now();
  auto jobs = fleet::read_jobs(jobs_file);
  if (!jobs) {
    fmt::print(stderr, "error: {}\n", jobs.error_message());
    return std::nullopt;
  }
  if (!index) {
    auto from_environment = fleet::job_index_from_environment();
    if (!from_environment) {
      fmt::print(stderr, "error: {}\n", from_environment.error_message());
      return std::nullopt;
    }
    index = *from_environment;
  }
  if (*index >= jobs->size()) {
    fmt::print(stderr, "error: job index {} is out of range: {} holds jobs 0..{}\n", *index, jobs_file,
               jobs->size() - 1);
    return std::nullopt;
  }
  segment.job = (*jobs)[*index];
  const std::filesystem::path dir =
      report_dir.empty() ? default_report_dir(jobs_file) : std::filesystem::path(report_dir);
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) {
    fmt::print(stderr, "error: cannot create the report folder {}: {}\n", dir.string(), error.message());
    return std::nullopt;
  }
  segment.report = dir / fmt::format("{}-{:06}.json", segment.job.plan, segment.job.index);
  if (Status unchanged = fleet::check_log_unchanged(segment.job); !unchanged) {
    fmt::print(stderr, "error: {}\n", unchanged.message());
    report_segment_failure(segment, unchanged.message());
    return std::nullopt;
  }
  return segment;
}

void report_segment_failure(const SegmentRun& segment, std::string_view error) {
  nlohmann::json report = report_head(segment, "failed");
  report["error"] = error;
  if (Status written = write_json_file(segment.report, report); !written)
    fmt::print(stderr, "error: {}\n", written.message());
}

Status report_segment(const SegmentRun& segment, const Replay& replay, const Runs& runs, const Verdict& verdict,
                      const nlohmann::json& code_changed) {
  const auto finished = std::chrono::steady_clock::now();
  nlohmann::json report = report_head(segment, verdict.identical ? "identical" : "diverged");
  const nlohmann::json whole = report_json(segment.job.log, replay, runs, verdict);
  report["error"] = nullptr;
  report["task_ids"] = replay.task_ids();
  report["recorded"] = fleet::timing_json(replay.task_ids(), replay.recorded_timing(segment.job.from, segment.job.to));
  report["replays"] = whole["replays"];
  if (whole.contains("serial_vs_parallel")) report["serial_vs_parallel"] = whole["serial_vs_parallel"];
  report["damage"] = replay.damage();
  report["code_changed"] = code_changed;
  report["schema_changes"] = replay.schema_changes();
  // Where a segment's time goes besides replaying: opening (and checking)
  // the log, then thawing, building the graph, and the executor's start.
  const Nanos replayed =
      (runs.serial ? runs.serial->timing.wall_time : 0) + (runs.parallel ? runs.parallel->timing.wall_time : 0);
  report["overhead"] = {{"open_ns", nanos_between(segment.started, segment.opened)},
                        {"replay_ns", nanos_between(segment.opened, finished)},
                        {"executor_ns", replayed},
                        {"total_ns", nanos_between(segment.started, finished)}};
  return write_json_file(segment.report, report);
}

}  // namespace copper::replay_cli
