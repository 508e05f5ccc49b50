// copper-replay merge: a plan's segment reports folded into one verdict
// per log and one for the plan (docs/fleet-replay.md).
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "exit_codes.hpp"
#include "fleet_cli.hpp"
#include "output_file.hpp"
#include "plugin_cli.hpp"
#include "replay/fleet_merge.hpp"
#include "text_util.hpp"

namespace copper::replay_cli {

namespace {

std::string upper_verdict(const std::string& verdict) {
  return verdict == "identical" ? verdict : verdict == "diverged" ? "DIVERGED" : "INCOMPLETE";
}

std::string numbers(const std::vector<uint64_t>& values) {
  std::vector<std::string> texts;
  for (uint64_t v : values) texts.push_back(fmt::format("{}", v));
  return detail::join(texts, ", ");
}

// copper-replay's own lines for one replay mode, over the merged segments.
std::string describe_run(const std::string& mode, const fleet::MergedRun& run) {
  std::string text;
  for (const std::string& failure : run.failures) text += fmt::format("{} replay: error: {}\n", mode, failure);
  if (run.diverged_cls == 0) {
    text += fmt::format("{} replay: identical to the recording: {} copperlists replayed, {} compared\n", mode,
                        run.replayed, run.compared);
  } else {
    text += fmt::format("{} replay: DIVERGED in {} of {} compared copperlists\n", mode, run.diverged_cls, run.compared);
    text +=
        fmt::format("  first divergence: {}\n", run.first_divergence.value("description", run.first_divergence.dump()));
    for (const auto& [task, count] : run.diverged_per_task)
      text += fmt::format("  task \"{}\" diverged in {} copperlists\n", task, count);
  }
  if (!run.input_end.empty()) text += fmt::format("  stopped reading the log: {}\n", run.input_end);
  return text;
}

std::string describe_log(const fleet::MergedLog& log, bool quiet) {
  std::string text = fmt::format("== {} (run {}): {}, {} of {} segments reported\n", log.log, log.run_id,
                                 upper_verdict(log.verdict), log.segments - log.missing.size(), log.segments);
  for (const std::string& note : log.notes) text += fmt::format("  note: {}\n", note);
  if (!quiet && log.recorded) {
    std::vector<TimingColumn> columns{{"recorded", &*log.recorded}};
    for (size_t i = 0; i < log.modes.size(); ++i) columns.push_back({log.modes[i], &log.runs[i].timing});
    text += timing_table(log.task_ids, columns);
  }
  for (size_t i = 0; i < log.modes.size(); ++i) text += describe_run(log.modes[i], log.runs[i]);
  for (const SkippedRange& s : log.skipped)
    text += fmt::format("  not replayed: copperlists {}..{}: {}\n", s.first, s.last, s.why);
  if (!log.missing.empty()) text += fmt::format("  no report for segment(s) {}\n", numbers(log.missing));
  for (const auto& [segment, why] : log.failed) text += fmt::format("  segment {} failed: {}\n", segment, why);
  return text;
}

std::string merged_text(const fleet::Merged& merged, bool quiet) {
  std::string text;
  for (const fleet::MergedLog& log : merged.logs) text += describe_log(log, quiet);
  text += fmt::format("plan {}: {} of {} segment reports\n", merged.plan, merged.reports, merged.jobs);
  for (const fleet::MergedLog& log : merged.logs)
    text += fmt::format("{}: {} ({}/{} segments)\n", log.log, upper_verdict(log.verdict),
                        log.segments - log.missing.size() - log.failed.size(), log.segments);
  if (!merged.missing.empty()) text += fmt::format("jobs without a report: {}\n", numbers(merged.missing));
  text += fmt::format("verdict: {}\n", upper_verdict(merged.verdict));
  return text;
}

}  // namespace

int merge_main(int argc, char** argv) {
  CLI::App app{"copper-replay merge: one verdict from a plan's segment reports"};
  app.name("copper-replay merge");
  std::vector<std::string> paths;
  std::string output, jobs_file;
  bool quiet = false;
  app.add_option("reports", paths, "segment reports, or directories of them (*.json)")->required();
  app.add_option("-o,--output", output, "write the merged verdict as JSON");
  app.add_option("--jobs", jobs_file, "the plan's jobs file: names the logs of segments without any report")
      ->check(CLI::ExistingFile);
  app.add_flag("-q,--quiet", quiet, "no timing tables");
  if (auto done = cli::parse_command_line(app, argc, argv)) return *done;
  if (Status usable = check_output_target(output, Overwrite::allow); !output.empty() && !usable) {
    fmt::print(stderr, "error: {}\n", usable.message());
    return kExitCannotRun;
  }
  std::optional<std::vector<fleet::Job>> jobs;
  if (!jobs_file.empty()) {
    auto read = fleet::read_jobs(jobs_file);
    if (!read) {
      fmt::print(stderr, "error: {}\n", read.error_message());
      return kExitCannotRun;
    }
    jobs = std::move(*read);
  }
  auto merged = fleet::merge_reports(paths, jobs ? &*jobs : nullptr);
  if (!merged) {
    fmt::print(stderr, "error: {}\n", merged.error_message());
    return kExitCannotRun;
  }
  fmt::print("{}", merged_text(*merged, quiet));
  if (!output.empty())
    if (Status written = write_json_file(output, fleet::merged_json(*merged)); !written) {
      fmt::print(stderr, "error: {}\n", written.message());
      return exit_code_for(written);
    }
  if (merged->verdict == "incomplete") return kExitCannotRun;
  return merged->verdict == "identical" ? kExitOk : kExitFailed;
}

}  // namespace copper::replay_cli
