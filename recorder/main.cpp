// copper-record: load a graph config, check it, run it.
//
// Exit codes: 0 the run ended on its limit or on SIGINT/SIGTERM; 1 a task
// or the commit failed at run time; 2 bad config or bad arguments.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <optional>

#include "copper/config.hpp"
#include "copper/graph.hpp"
#include "copper/registry.hpp"
#include "copper/runtime.hpp"
#include "copper/stats.hpp"

namespace {

constexpr int kExitRunFailed = 1;
constexpr int kExitBadConfig = 2;

struct Options {
  std::string config_path;
  std::optional<uint64_t> cycles;
  std::optional<double> duration_s;
  std::optional<double> rate_hz;
  bool check_only = false;
  bool list_types = false;
  bool quiet = false;
};

void print_types() {
  const auto& registry = copper::Registry::global();
  for (const auto& name : registry.names()) {
    const copper::TaskType& type = *registry.find(name);
    std::string inputs;
    for (size_t i = 0; i < type.inputs.size(); ++i)
      inputs += fmt::format("{}{}: {}", i ? ", " : "", type.input_names[i], type.inputs[i]->name);
    fmt::print("{:<28} {:<6} ({}) -> {}{}\n", name, copper::to_string(type.kind), inputs,
               type.output ? type.output->name : "-", type.stateless ? "  [stateless]" : "");
  }
}

std::optional<copper::Graph> load_graph(const Options& options) {
  copper::Diagnostics diags;
  auto config = copper::load_config(options.config_path, diags);
  std::optional<copper::Graph> graph;
  if (config) graph = copper::Graph::build(*config, copper::Registry::global(), diags);
  for (const auto& item : diags.all()) fmt::print(stderr, "{}: {}\n", options.config_path, item.to_string());
  return graph;
}

void print_summary(const copper::Graph& graph, const copper::RunReport& report, const copper::TimingStats& stats) {
  const double seconds = static_cast<double>(report.wall_time) / 1e9;
  fmt::print("{}", stats.table());
  fmt::print("{} cycles in {:.3f} s ({:.0f} CL/s), {} tasks, stopped: {}\n", report.committed, seconds,
             seconds > 0 ? static_cast<double>(report.committed) / seconds : 0.0, graph.tasks().size(),
             copper::to_string(report.reason));
}

int run(const Options& options) {
  auto graph = load_graph(options);
  if (!graph) return kExitBadConfig;
  if (options.check_only) {
    fmt::print("{}: ok ({} tasks, {} connections)\n", options.config_path, graph->tasks().size(),
               graph->config().connections.size());
    return 0;
  }
  auto stop = copper::StopConditions::from(graph->config().runtime);
  if (options.cycles) stop.cycles = *options.cycles;
  if (options.duration_s) stop.duration = static_cast<copper::Nanos>(*options.duration_s * 1e9);
  if (options.rate_hz) stop.rate_hz = *options.rate_hz;
  if (stop.cycles == 0 && stop.duration == 0)
    fmt::print(stderr, "no cycle or duration limit: running until SIGINT/SIGTERM\n");

  copper::install_stop_signal_handlers();
  copper::MonotonicClock clock;
  copper::TimingStats stats(*graph);
  copper::SerialExecutor executor(*graph, clock);
  const copper::RunReport report = executor.run(stop, &stats);
  if (!options.quiet) print_summary(*graph, report, stats);
  for (const auto& failure : report.stop_failures) fmt::print(stderr, "error: {}\n", failure.describe());
  if (report.failure) {
    fmt::print(stderr, "error: {}; {} copperlists committed before it\n", report.failure->describe(),
               report.committed);
  }
  return report.ok() ? 0 : kExitRunFailed;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"copper-record: run a copper task graph from its JSON config"};
  Options options;
  app.add_option("-c,--config", options.config_path, "graph config (JSON)")->check(CLI::ExistingFile);
  app.add_option("-n,--cycles", options.cycles, "stop after N copperlists (overrides runtime.cycles)");
  app.add_option("-d,--duration", options.duration_s, "stop after S seconds (overrides runtime.duration_s)");
  app.add_option("--rate", options.rate_hz, "cycles per second, 0 = unthrottled (overrides runtime.rate_hz)");
  app.add_flag("--check", options.check_only, "validate the config and exit");
  app.add_flag("--list-types", options.list_types, "list the task types this binary knows");
  app.add_flag("-q,--quiet", options.quiet, "no timing table");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error);
    return code == 0 ? 0 : kExitBadConfig;
  }
  if (options.list_types) {
    print_types();
    return 0;
  }
  if (options.config_path.empty()) {
    fmt::print(stderr, "error: --config is required\n{}", app.help());
    return kExitBadConfig;
  }
  return run(options);
}
