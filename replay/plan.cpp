// copper-replay plan: logs cut at their keyframes into segment jobs, one
// JSON line each (docs/fleet-replay.md).
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <map>

#include "cli_values.hpp"
#include "exit_codes.hpp"
#include "fleet_cli.hpp"
#include "output_file.hpp"
#include "plugin_cli.hpp"

namespace copper::replay_cli {

namespace {

constexpr uint64_t kDefaultSegmentCls = 1000;

// One line per log: its segments, copperlists and estimated cost.
std::string summary(const fleet::Plan& plan) {
  struct PerLog {
    uint64_t segments = 0, cls = 0, cost_ns = 0;
  };
  std::vector<std::string> order;
  std::map<std::string, PerLog> logs;
  uint64_t total_cost = 0;
  for (const fleet::Job& job : plan.jobs) {
    if (!logs.count(job.log)) order.push_back(job.log);
    PerLog& log = logs[job.log];
    ++log.segments;
    log.cls += job.compared;
    log.cost_ns += job.cost_ns;
    total_cost += job.cost_ns;
  }
  std::string text;
  for (const std::string& log : order)
    text +=
        fmt::format("{}: {} segment{}, {} copperlists, recorded task time {:.3f} ms\n", log, logs[log].segments,
                    logs[log].segments == 1 ? "" : "s", logs[log].cls, static_cast<double>(logs[log].cost_ns) / 1e6);
  text +=
      fmt::format("plan {}: {} jobs over {} log{}, recorded task time {:.3f} ms\n", plan.jobs.front().plan,
                  plan.jobs.size(), order.size(), order.size() == 1 ? "" : "s", static_cast<double>(total_cost) / 1e6);
  return text;
}

}  // namespace

int plan_main(int argc, char** argv) {
  CLI::App app{"copper-replay plan: cut logs at their keyframes into segment jobs for a batch engine"};
  app.name("copper-replay plan");
  std::vector<std::string> logs;
  std::optional<uint64_t> segment_cls, segments;
  std::string output;
  app.add_option("logs", logs, "logs, or directories searched for *.copper")->required();
  auto* cls_option =
      app.add_option("--segment-cls", segment_cls,
                     fmt::format("about this many copperlists a segment (default {})", kDefaultSegmentCls))
          ->transform(cli::whole_number());
  app.add_option("--segments", segments, "about this many segments per log")
      ->transform(cli::whole_number())
      ->excludes(cls_option);
  app.add_option("-o,--output", output, "the jobs file (JSON lines)")->required();
  if (auto done = cli::parse_command_line(app, argc, argv)) return *done;
  if ((segment_cls && *segment_cls == 0) || (segments && *segments == 0)) {
    fmt::print(stderr, "error: a segment size of 0 plans nothing\n");
    return kExitCannotRun;
  }
  if (Status usable = check_output_target(output, Overwrite::allow); !usable) {
    fmt::print(stderr, "error: {}\n", usable.message());
    return kExitCannotRun;
  }
  fleet::SegmentSize size;
  size.cls = segment_cls.value_or(kDefaultSegmentCls);
  size.count = segments.value_or(0);
  auto plan = fleet::plan_logs(logs, size);
  if (!plan) {
    fmt::print(stderr, "error: {}\n", plan.error_message());
    return kExitCannotRun;
  }
  for (const std::string& warning : plan->warnings) fmt::print(stderr, "warning: {}\n", warning);
  if (Status written = write_text_file(output, fleet::jobs_text(*plan)); !written) {
    fmt::print(stderr, "error: {}\n", written.message());
    return exit_code_for(written);
  }
  fmt::print("{}wrote {}\n", summary(*plan), output);
  return kExitOk;
}

}  // namespace copper::replay_cli
