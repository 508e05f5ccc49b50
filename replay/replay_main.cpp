// copper-replay: re-execute a recorded log serially, in parallel or both,
// compare every output with the recording, and print the verdict and the
// timings side by side.
//
// Exit codes: 0 every replayed output is identical to the recording (and a
// recorded failure was reproduced); 1 an output diverged, the replay failed
// otherwise than the recording, or the serial and parallel replays differ;
// 2 the replay could not run (bad log, a plugin missing or refused, unknown
// task type, changed schema, bad arguments, a task without thaw under
// --from). replay/README.md has the details.
#include "copper/tools.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <optional>

#include "cli_values.hpp"
#include "copper/log/reader.hpp"
#include "copper/registry.hpp"
#include "copper/replay.hpp"
#include "exit_codes.hpp"
#include "fleet_cli.hpp"
#include "output_file.hpp"
#include "plugin_cli.hpp"
#include "progress.hpp"
#include "recorded_plugins.hpp"
#include "report.hpp"

namespace {

using copper::kExitCannotRun;
using copper::kExitFailed;
using copper::kExitOk;

struct Options {
  std::string log;
  std::string mode = "serial";
  uint32_t threads = 0;
  uint32_t max_in_flight = 8;
  std::optional<uint64_t> from;
  std::optional<uint64_t> to;
  std::string output;
  bool force = false;
  std::string report;
  bool quiet = false;
  bool allow_schema_change = false;
  copper::cli::PluginOptions plugins;
  // --jobs: one segment of a fleet plan (fleet_cli.hpp).
  std::string jobs;
  std::optional<uint64_t> job_index;
  std::string report_dir;
};

copper::ReplayOptions replay_options(const Options& options, copper::RunMode mode, bool write_output) {
  copper::ReplayOptions replay;
  replay.mode = mode;
  replay.parallel.max_in_flight = options.max_in_flight;
  replay.parallel.threads = options.threads;
  replay.from = options.from;
  replay.to = options.to;
  if (write_output) {
    replay.output = options.output;
    replay.overwrite_output = options.force;
  }
  return replay;
}

uint64_t expected_copperlists(const copper::Replay& replay, const Options& options) {
  if (!replay.first_cl() || !replay.last_cl()) return 0;
  const uint64_t last = options.to ? std::min(*options.to, *replay.last_cl()) : *replay.last_cl();
  const uint64_t first = options.from ? std::max(*options.from, *replay.first_cl()) : *replay.first_cl();
  return last >= first ? last - first + 1 : 0;
}

// Runs one replay with a progress line; an error when it could not start.
copper::Result<copper::ReplayOutcome> run_one(copper::Replay& replay, const Options& options, copper::RunMode mode,
                                              bool write_output) {
  copper::CommitCounter counter;
  copper::ReplayOptions replay_opts = replay_options(options, mode, write_output);
  replay_opts.observer = &counter;
  copper::Result<copper::ReplayOutcome> outcome = copper::Status::error("not run");
  {
    copper::ProgressLine progress(counter, [] { return uint64_t{0}; }, expected_copperlists(replay, options));
    outcome = replay.run(replay_opts);
  }
  return outcome;
}

// The log's metadata, for the plugins it names; a log that does not open
// is reported by Replay::open below.
nlohmann::json read_metadata(const std::string& path) {
  auto reader = copper::log::LogReader::open(path);
  return reader ? reader->metadata() : nlohmann::json();
}

// The replay could not run: said, and for a fleet segment reported, so
// the merge names the segment and why.
int cannot_run(const copper::replay_cli::SegmentRun* segment, std::string_view error) {
  fmt::print(stderr, "error: {}\n", error);
  if (segment != nullptr) copper::replay_cli::report_segment_failure(*segment, error);
  return kExitCannotRun;
}

int run(const Options& options, copper::replay_cli::SegmentRun* segment = nullptr) {
  // Refused before the replay runs, not after (a directory, a FIFO...).
  if (copper::Status usable = copper::check_output_target(options.report, copper::Overwrite::allow);
      !options.report.empty() && !usable)
    return cannot_run(segment, usable.message());
  const nlohmann::json metadata = read_metadata(options.log);
  if (!copper::replay_cli::load_plugins_for(metadata, options.plugins.plugins))
    return cannot_run(segment, "the task plugins the log names could not be loaded (the job's output says why)");
  const auto code_changed = copper::replay_cli::code_changes(metadata);
  for (const auto& change : code_changed) fmt::print("note: {}\n", change.describe());
  copper::ReplayOpenOptions open_options;
  open_options.allow_schema_change = options.allow_schema_change;
  open_options.whole_log_timing = segment == nullptr;  // a segment reports its own range's
  auto replay = copper::Replay::open(options.log, copper::Registry::global(), open_options);
  if (!replay) return cannot_run(segment, replay.error_message());
  if (segment != nullptr) segment->opened = std::chrono::steady_clock::now();
  for (const auto& damage : replay->damage()) fmt::print(stderr, "warning: {}: damaged: {}\n", options.log, damage);
  for (const auto& change : replay->schema_changes()) fmt::print("note: {}\n", change);

  copper::replay_cli::Runs runs;
  for (const auto& [name, mode] :
       {std::pair{"serial", copper::RunMode::serial}, {"parallel", copper::RunMode::parallel}}) {
    if (options.mode != name && options.mode != "both") continue;
    auto outcome = run_one(*replay, options, mode, mode == copper::RunMode::serial || options.mode == "parallel");
    if (!outcome) return cannot_run(segment, outcome.error_message());
    (mode == copper::RunMode::serial ? runs.serial : runs.parallel) = std::move(*outcome);
  }
  const copper::replay_cli::Verdict verdict = copper::replay_cli::judge(runs);
  if (!options.quiet) fmt::print("{}", copper::replay_cli::timing_table(*replay, runs, options.max_in_flight));
  fmt::print("{}", copper::replay_cli::verdict_text(runs, verdict));
  if (!options.report.empty()) {
    nlohmann::json report = copper::replay_cli::report_json(options.log, *replay, runs, verdict);
    report["code_changed"] = copper::replay_cli::to_json(code_changed);
    report["schema_changes"] = replay->schema_changes();
    if (copper::Status written = copper::replay_cli::write_json_file(options.report, report); !written) {
      fmt::print(stderr, "error: {}\n", written.message());
      return copper::exit_code_for(written);
    }
  }
  if (segment != nullptr) {
    const auto changed = copper::replay_cli::to_json(code_changed);
    if (copper::Status written = copper::replay_cli::report_segment(*segment, *replay, runs, verdict, changed);
        !written) {
      fmt::print(stderr, "error: {}\n", written.message());
      return copper::exit_code_for(written);
    }
  }
  return verdict.identical ? kExitOk : kExitFailed;
}

// --jobs: the job's log and range, replayed with the options given.
int run_job(Options options) {
  if (!options.log.empty() || options.from || options.to || !options.output.empty() || !options.report.empty()) {
    fmt::print(stderr,
               "error: --jobs takes its log and range from the jobs file: no LOG, --from, --to, -o or --report\n");
    return kExitCannotRun;
  }
  auto segment = copper::replay_cli::prepare_segment(options.jobs, options.job_index, options.report_dir);
  if (!segment) return kExitCannotRun;
  const copper::fleet::Job& job = segment->job;
  fmt::print("job {} of {}: {} copperlists {}..{}{} (segment {} of {})\n", job.index, job.jobs, job.log, job.from,
             job.to, job.open_end ? " and on to the end" : "", job.segment + 1, job.segments);
  options.log = job.log;
  options.from = job.from;
  if (!job.open_end) options.to = job.to;
  return run(options, &*segment);
}

}  // namespace

namespace copper {

int replay_main(int argc, char** argv) {
  if (argc > 1) {
    const std::string command = argv[1];
    if (command == "plan") return replay_cli::plan_main(argc - 1, argv + 1);
    if (command == "merge") return replay_cli::merge_main(argc - 1, argv + 1);
    if (command == "slurm") return replay_cli::slurm_main(argc - 1, argv + 1);
  }
  CLI::App app{"copper-replay: re-execute a recorded copper log and check that it reproduces the recording"};
  app.footer(
      "A fleet's logs on a batch engine (docs/fleet-replay.md):\n"
      "  copper-replay plan LOG|DIR... -o jobs.jsonl     cut logs at keyframes into segment jobs\n"
      "  copper-replay --jobs jobs.jsonl [--job-index I] run one (I from Slurm, Kubernetes or AWS Batch)\n"
      "  copper-replay merge DIR|REPORT... -o v.json     one verdict from the segment reports\n"
      "  copper-replay slurm jobs.jsonl [--submit]       the sbatch job array that runs a plan");
  Options options;
  app.add_option("log", options.log, "the recorded log")->check(CLI::ExistingFile);
  app.add_option("--mode", options.mode, "serial | parallel | both (serial and parallel, compared)")
      ->check(CLI::IsMember({"serial", "parallel", "both"}));
  app.add_option("--threads", options.threads, "parallel replay: workers, 0 = one per hardware thread")
      ->check(CLI::Range(0, 1024));
  app.add_option("--max-in-flight", options.max_in_flight, "parallel replay: copperlists in flight")
      ->check(CLI::Range(1, 4096));
  app.add_option("--from", options.from, "compare from this copperlist on (starts at the keyframe before it)")
      ->transform(copper::cli::whole_number());
  app.add_option("--to", options.to, "stop after this copperlist")->transform(copper::cli::whole_number());
  app.add_option("-o,--output", options.output, "write the replay as a new log (with --mode both: the serial one)");
  app.add_flag("-f,--force", options.force, "overwrite the -o log if it exists");
  app.add_option("--report", options.report, "write the verdict and timings as JSON (replay/README.md)");
  app.add_flag("--allow-schema-change", options.allow_schema_change,
               "replay a log whose message types changed: compare only the fields both versions share");
  copper::cli::add_plugin_options(app, options.plugins);
  app.add_option("--jobs", options.jobs, "run one job of a plan (copper-replay plan; docs/fleet-replay.md)")
      ->check(CLI::ExistingFile);
  app.add_option("--job-index", options.job_index,
                 "the job to run; default: $SLURM_ARRAY_TASK_ID, $JOB_COMPLETION_INDEX, $AWS_BATCH_JOB_ARRAY_INDEX")
      ->transform(copper::cli::whole_number());
  app.add_option("--report-dir", options.report_dir, "--jobs: where the segment report goes (default: JOBS.reports)");
  app.add_flag("-q,--quiet", options.quiet, "no timing table");
  if (auto done = copper::cli::parse_command_line(app, argc, argv)) return *done;
  if (options.plugins.list_types) {
    // With a log, the plugins it would load, so the list is what it can use.
    const nlohmann::json metadata = options.log.empty() ? nlohmann::json() : read_metadata(options.log);
    if (!copper::replay_cli::load_plugins_for(metadata, options.plugins.plugins)) return kExitCannotRun;
    fmt::print("{}", copper::cli::task_types_table(copper::Registry::global()));
    return 0;
  }
  if (!options.jobs.empty()) return run_job(options);
  if (options.log.empty()) {
    fmt::print(stderr, "error: a log to replay is required\n{}", app.help());
    return kExitCannotRun;
  }
  if (options.from && options.to && *options.to < *options.from) {
    fmt::print(stderr, "error: --to {} is before --from {}\n", *options.to, *options.from);
    return kExitCannotRun;
  }
  return run(options);
}

}  // namespace copper
