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

#include <fstream>
#include <optional>

#include "cli_values.hpp"
#include "copper/log/reader.hpp"
#include "copper/registry.hpp"
#include "copper/replay.hpp"
#include "exit_codes.hpp"
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

// Runs one replay with a progress line; nullopt (and a message) when it
// could not start.
std::optional<copper::ReplayOutcome> run_one(copper::Replay& replay, const Options& options, copper::RunMode mode,
                                             bool write_output) {
  copper::CommitCounter counter;
  copper::ReplayOptions replay_opts = replay_options(options, mode, write_output);
  replay_opts.observer = &counter;
  copper::Result<copper::ReplayOutcome> outcome = copper::Status::error("not run");
  {
    copper::ProgressLine progress(counter, [] { return uint64_t{0}; }, expected_copperlists(replay, options));
    outcome = replay.run(replay_opts);
  }
  if (!outcome) {
    fmt::print(stderr, "error: {}\n", outcome.error_message());
    return std::nullopt;
  }
  return std::move(*outcome);
}

// Written aside and renamed into place (output_file.hpp): a regular file
// at `path` is replaced only by a whole report, anything else never.
copper::Status write_report(const std::string& path, const nlohmann::json& report) {
  auto output = copper::OutputFile::create(path, copper::Overwrite::allow);
  if (!output) return output.status();
  std::ofstream out(output->temporary());
  out << report.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  out.close();
  if (!out) return copper::Status::io_error(fmt::format("cannot write the report to {}", path));
  return output->commit();
}

// The log's metadata, for the plugins it names; a log that does not open
// is reported by Replay::open below.
nlohmann::json read_metadata(const std::string& path) {
  auto reader = copper::log::LogReader::open(path);
  return reader ? reader->metadata() : nlohmann::json();
}

int run(const Options& options) {
  // Refused before the replay runs, not after (a directory, a FIFO...).
  if (copper::Status usable = copper::check_output_target(options.report, copper::Overwrite::allow);
      !options.report.empty() && !usable) {
    fmt::print(stderr, "error: {}\n", usable.message());
    return kExitCannotRun;
  }
  const nlohmann::json metadata = read_metadata(options.log);
  if (!copper::replay_cli::load_plugins_for(metadata, options.plugins.plugins)) return kExitCannotRun;
  const auto code_changed = copper::replay_cli::code_changes(metadata);
  for (const auto& change : code_changed) fmt::print("note: {}\n", change.describe());
  copper::ReplayOpenOptions open_options;
  open_options.allow_schema_change = options.allow_schema_change;
  auto replay = copper::Replay::open(options.log, copper::Registry::global(), open_options);
  if (!replay) {
    fmt::print(stderr, "error: {}\n", replay.error_message());
    return kExitCannotRun;
  }
  for (const auto& damage : replay->damage()) fmt::print(stderr, "warning: {}: damaged: {}\n", options.log, damage);
  for (const auto& change : replay->schema_changes()) fmt::print("note: {}\n", change);

  copper::replay_cli::Runs runs;
  if (options.mode == "serial" || options.mode == "both") {
    runs.serial = run_one(*replay, options, copper::RunMode::serial, true);
    if (!runs.serial) return kExitCannotRun;
  }
  if (options.mode == "parallel" || options.mode == "both") {
    runs.parallel = run_one(*replay, options, copper::RunMode::parallel, options.mode == "parallel");
    if (!runs.parallel) return kExitCannotRun;
  }
  const copper::replay_cli::Verdict verdict = copper::replay_cli::judge(runs);
  if (!options.quiet) fmt::print("{}", copper::replay_cli::timing_table(*replay, runs, options.max_in_flight));
  fmt::print("{}", copper::replay_cli::verdict_text(runs, verdict));
  if (!options.report.empty()) {
    nlohmann::json report = copper::replay_cli::report_json(options.log, *replay, runs, verdict);
    report["code_changed"] = copper::replay_cli::to_json(code_changed);
    report["schema_changes"] = replay->schema_changes();
    if (copper::Status written = write_report(options.report, report); !written) {
      fmt::print(stderr, "error: {}\n", written.message());
      return copper::exit_code_for(written);
    }
  }
  return verdict.identical ? kExitOk : kExitFailed;
}

}  // namespace

namespace copper {

int replay_main(int argc, char** argv) {
  CLI::App app{"copper-replay: re-execute a recorded copper log and check that it reproduces the recording"};
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
  app.add_flag("-q,--quiet", options.quiet, "no timing table");
  if (auto done = copper::cli::parse_command_line(app, argc, argv)) return *done;
  if (options.plugins.list_types) {
    // With a log, the plugins it would load, so the list is what it can use.
    const nlohmann::json metadata = options.log.empty() ? nlohmann::json() : read_metadata(options.log);
    if (!copper::replay_cli::load_plugins_for(metadata, options.plugins.plugins)) return kExitCannotRun;
    fmt::print("{}", copper::cli::task_types_table(copper::Registry::global()));
    return 0;
  }
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
