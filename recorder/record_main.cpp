// copper-record: load a graph config, check it, run it and record it.
//
// Exit codes: 0 the run ended on its limit or on SIGINT/SIGTERM, log closed;
// 1 a task, the log or the disk failed at run time (every copperlist
// committed before the failure stays readable); 2 bad config or arguments,
// or an output that exists. One table for the three tools: exit_codes.hpp.
#include "copper/tools.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <optional>

#include "cli_values.hpp"
#include "copper/config.hpp"
#include "copper/graph.hpp"
#include "copper/log/writer.hpp"
#include "copper/plugin.hpp"
#include "copper/registry.hpp"
#include "copper/runtime.hpp"
#include "copper/stats.hpp"
#include "exit_codes.hpp"
#include "foxglove/declared.hpp"
#include "live/live_view.hpp"
#include "plugin_cli.hpp"
#include "progress.hpp"

namespace {

using copper::exit_code_for;
using copper::kExitCannotRun;
using copper::kExitFailed;

struct Options {
  std::string config_path;
  std::string output;
  std::optional<uint64_t> cycles;
  std::optional<double> duration_s;
  std::optional<double> rate_hz;
  std::optional<std::string> fsync;
  std::optional<std::string> compress;
  std::optional<std::string> slab_size;
  std::optional<std::string> mode;
  std::optional<uint32_t> max_in_flight;
  std::optional<uint32_t> threads;
  bool force = false;
  bool check_only = false;
  bool quiet = false;
  bool serve = false;         // --serve given
  std::string serve_address;  // its value, "" for the default
  double serve_rate_hz = copper::live::kDefaultMaxRateHz;
  copper::cli::PluginOptions plugins;
};

// The config with the command line's overrides applied, so the log's
// metadata holds what really ran.
std::optional<copper::Config> load_config(const Options& options) {
  copper::Diagnostics diags;
  auto config = copper::load_config(options.config_path, diags);
  if (config) {
    if (!options.output.empty()) config->logging.path = options.output;
    if (options.fsync) config->logging.fsync = *options.fsync;
    if (options.compress) config->logging.compress = *options.compress;
    if (options.slab_size) config->logging.slab_size = *options.slab_size;
    if (options.mode) config->runtime.mode = *options.mode == "parallel" ? copper::RunMode::parallel : copper::RunMode::serial;
    if (options.max_in_flight) config->runtime.max_in_flight = *options.max_in_flight;
    if (options.threads) config->runtime.threads = *options.threads;
  }
  for (const auto& item : diags.all()) fmt::print(stderr, "{}: {}\n", options.config_path, item.to_string());
  return config;
}

// The config's plugins (paths relative to the config file), then those of
// the command line (relative to the working directory).
bool load_plugins(const Options& options, const copper::Config* config) {
  if (config != nullptr && !copper::cli::load_plugins(config->plugins, config->directory)) return false;
  return copper::cli::load_plugins(options.plugins.plugins, std::filesystem::current_path());
}

std::optional<copper::Graph> build_graph(const Options& options, const copper::Config& config) {
  copper::Diagnostics diags;
  auto graph = copper::Graph::build(config, copper::Registry::global(), diags);
  for (const auto& item : diags.all()) fmt::print(stderr, "{}: {}\n", options.config_path, item.to_string());
  return graph;
}

copper::StopConditions stop_conditions(const Options& options, const copper::Config& config) {
  auto stop = copper::StopConditions::from(config.runtime);
  if (options.cycles) stop.cycles = *options.cycles;
  if (options.duration_s) stop.duration = static_cast<copper::Nanos>(*options.duration_s * 1e9);
  if (options.rate_hz) stop.rate_hz = *options.rate_hz;
  return stop;
}

// The exit code follows the error's kind (exit_codes.hpp): what the user
// can fix in the command (a bad policy, an existing file) cannot run; what
// the system refused (permissions, a full disk) failed.
std::unique_ptr<copper::log::LogWriter> open_log(const Options& options, const copper::Graph& graph, int& exit_code) {
  auto writer_options = copper::log::WriterOptions::from(graph.config().logging);
  if (!writer_options.ok()) {
    fmt::print(stderr, "error: {}\n", writer_options.error_message());
    exit_code = exit_code_for(writer_options.status());
    return nullptr;
  }
  writer_options->overwrite = options.force;
  auto writer = copper::log::LogWriter::create(*writer_options, graph);
  if (!writer.ok()) {
    fmt::print(stderr, "error: {}\n", writer.error_message());
    exit_code = exit_code_for(writer.status());
    return nullptr;
  }
  return std::move(writer.value());
}

void print_summary(const copper::RunReport& report, const copper::TimingStats& stats,
                   const copper::log::LogWriter* writer, const std::string& path) {
  const double seconds = static_cast<double>(report.wall_time) / 1e9;
  fmt::print("{}", stats.table());
  fmt::print("{} cycles in {:.3f} s ({:.0f} CL/s), stopped: {}\n", report.committed, seconds,
             seconds > 0 ? static_cast<double>(report.committed) / seconds : 0.0, copper::to_string(report.reason));
  if (writer == nullptr) return;
  const auto log = writer->stats();
  const double ratio = log.stored_cl_bytes ? static_cast<double>(log.raw_cl_bytes) / static_cast<double>(log.stored_cl_bytes) : 1.0;
  fmt::print("log {}: {:.2f} MB, {:.1f} MB/s, compression {:.2f}x, {} syncs, {} keyframes\n", path,
             static_cast<double>(log.file_bytes) / 1e6,
             seconds > 0 ? static_cast<double>(log.file_bytes) / 1e6 / seconds : 0.0, ratio, log.syncs, log.keyframes);
}

void print_mode(const copper::RuntimeConfig& runtime) {
  if (runtime.mode == copper::RunMode::serial) {
    fmt::print(stderr, "mode: serial\n");
    return;
  }
  const auto options = copper::ParallelOptions::from(runtime);
  fmt::print(stderr, "mode: parallel, max_in_flight {}, threads {}\n", options.max_in_flight,
             options.threads != 0 ? fmt::format("{}", options.threads) : "auto");
}

// --serve: the live view listens before the graph starts, so an address
// that cannot be used is a clear error (exit 2) and nothing has run.
std::unique_ptr<copper::live::LiveView> start_live_view(const Options& options, const copper::Graph& graph,
                                                        int& exit_code) {
  auto address = copper::live::parse_serve_address(options.serve_address);
  copper::live::FeedOptions feed;
  feed.max_rate_hz = options.serve_rate_hz;
  auto view = address.ok() ? copper::live::LiveView::start(*address, graph, feed)
                           : copper::Result<std::unique_ptr<copper::live::LiveView>>(address.status());
  if (!view.ok()) {
    fmt::print(stderr, "error: {}\n", view.error_message());
    exit_code = kExitCannotRun;
    return nullptr;
  }
  fmt::print(stderr, "live view: {} (Foxglove: open connection, Foxglove WebSocket)\n", view.value()->url());
  return std::move(view.value());
}

// The live view's figures as a report event's message (docs/log-format.md).
std::string live_report(const copper::live::LiveStats& stats) {
  nlohmann::json report = stats.to_json();
  report["component"] = "live_view";
  return report.dump();
}

// Records how the run ended, then closes the log; returns the close status.
copper::Status finish_log(copper::log::LogWriter& writer, const copper::RunReport& report,
                          const copper::live::LiveStats* live) {
  using copper::log::EventKind;
  if (live != nullptr) (void)writer.write_event(EventKind::report, report.committed, live_report(*live));
  if (report.reason == copper::StopReason::stop_requested && copper::stop_requested())
    (void)writer.write_event(EventKind::signal, report.committed, "SIGINT or SIGTERM received");
  if (report.failure)
    (void)writer.write_event(EventKind::error, report.failure->cl_id, report.failure->describe());
  for (const auto& failure : report.stop_failures)
    (void)writer.write_event(EventKind::error, failure.cl_id, failure.describe());
  return writer.close(copper::to_string(report.reason));
}

int run(const Options& options) {
  auto config = load_config(options);
  if (!config) return kExitCannotRun;
  if (!load_plugins(options, &*config)) return kExitCannotRun;
  auto graph = build_graph(options, *config);
  if (!graph) return kExitCannotRun;
  if (options.check_only) {
    // What the writer would refuse before making the log: the Foxglove
    // views the graph's message types declare.
    if (auto views = copper::foxglove::declared_views_of(*graph); !views.ok()) {
      fmt::print(stderr, "error: {}\n", views.error_message());
      return kExitCannotRun;
    }
    fmt::print("{}: ok ({} tasks, {} connections)\n", options.config_path, graph->tasks().size(),
               graph->config().connections.size());
    return 0;
  }
  const auto stop = stop_conditions(options, *config);
  std::unique_ptr<copper::live::LiveView> live;
  if (options.serve) {
    int exit_code = 0;
    live = start_live_view(options, *graph, exit_code);
    if (!live) return exit_code;
  }
  std::unique_ptr<copper::log::LogWriter> writer;
  if (!config->logging.path.empty()) {
    int exit_code = 0;
    writer = open_log(options, *graph, exit_code);
    if (!writer) return exit_code;
  } else {
    fmt::print(stderr, "no -o and no logging.path: running without recording\n");
  }
  if (stop.cycles == 0 && stop.duration == 0) fmt::print(stderr, "no cycle or duration limit: stop with Ctrl-C\n");

  copper::install_stop_signal_handlers();
  copper::MonotonicClock clock;
  copper::TimingStats stats(*graph);
  copper::CommitCounter counter;
  copper::CommitFanout sinks;
  if (writer) sinks.add(writer.get());
  sinks.add(&stats);
  sinks.add(&counter);
  if (live) sinks.add(live->sink());
  auto executor = copper::make_executor(*graph, clock, graph->config().runtime);
  executor->set_keyframe_interval(writer ? config->logging.keyframe_interval : 0);
  print_mode(graph->config().runtime);
  copper::RunReport report;
  {
    copper::ProgressLine progress(counter, [&] { return writer ? writer->appended_bytes() : 0; });
    report = executor->run(stop, &sinks);
  }
  std::optional<copper::live::LiveStats> live_stats;
  if (live) live_stats = live->finish();
  const copper::live::LiveStats* live_figures = live_stats ? &*live_stats : nullptr;
  const copper::Status closed = writer ? finish_log(*writer, report, live_figures) : copper::Status();
  if (!options.quiet) print_summary(report, stats, writer.get(), config->logging.path);
  if (live_stats && !options.quiet) fmt::print("{}", live_stats->summary());
  for (const auto& failure : report.stop_failures) fmt::print(stderr, "error: {}\n", failure.describe());
  if (report.failure)
    fmt::print(stderr, "error: {}; {} copperlists committed before it\n", report.failure->describe(), report.committed);
  if (!closed.ok()) fmt::print(stderr, "error: closing the log: {}\n", closed.message());
  return report.ok() && closed.ok() ? 0 : kExitFailed;
}

}  // namespace

namespace copper {

int record_main(int argc, char** argv) {
  CLI::App app{"copper-record: run a copper task graph from its JSON config and record it"};
  Options options;
  app.add_option("-c,--config", options.config_path, "graph config (JSON)")->check(CLI::ExistingFile);
  app.add_option("-o,--output", options.output, "log file to write (overrides logging.path)");
  app.add_option("-n,--cycles", options.cycles, "stop after N copperlists (overrides runtime.cycles)")
      ->transform(copper::cli::whole_number());
  app.add_option("-d,--duration", options.duration_s, "stop after S seconds (overrides runtime.duration_s)")
      ->check(copper::cli::duration_seconds());
  app.add_option("--rate", options.rate_hz, "cycles per second, 0 = unthrottled (overrides runtime.rate_hz)")
      ->check(copper::cli::rate_hz());
  app.add_option("--fsync", options.fsync, "none | commit | bytes:N[KiB|MiB|GiB] | interval:MS")
      ->check(copper::cli::fsync_policy());
  app.add_option("--compress", options.compress, "none | zstd | zstd:LEVEL")->check(copper::cli::compression());
  app.add_option("--slab-size", options.slab_size,
                 "log slab size, the largest record: a power of two from 64KiB to 1GiB (overrides logging.slab_size)")
      ->check([](const std::string& text) {
        auto size = copper::log::parse_slab_size(text);
        return size.ok() ? std::string() : std::string(size.error_message());
      });
  app.add_option("--mode", options.mode, "serial | parallel (overrides runtime.mode)")
      ->check(CLI::IsMember({"serial", "parallel"}));
  app.add_option("--max-in-flight", options.max_in_flight,
                 "parallel mode: copperlists admitted, not yet committed (overrides runtime.max_in_flight)")
      ->check(CLI::Range(1, 4096));
  app.add_option("--threads", options.threads, "parallel mode: workers, 0 = one per hardware thread")
      ->check(CLI::Range(0, 1024));
  auto* serve =
      app.add_option(
             "--serve", options.serve_address,
             "serve a live Foxglove WebSocket view on [HOST:]PORT while recording (bare --serve: 127.0.0.1:8765)")
          ->expected(0, 1);
  app.add_option("--serve-rate", options.serve_rate_hz,
                 "copperlists per second the live view shows at most, evenly by copperlist time; 0 = every one "
                 "(default 1000; text logs always go)")
      ->check(copper::cli::rate_hz())
      ->needs(serve);
  app.add_flag("-f,--force", options.force, "overwrite an existing log");
  app.add_flag("--check", options.check_only, "validate the config and exit");
  copper::cli::add_plugin_options(app, options.plugins);
  app.add_flag("-q,--quiet", options.quiet, "no timing table or summary");
  if (auto done = copper::cli::parse_command_line(app, argc, argv)) return *done;
  options.serve = serve->count() > 0;
  if (options.plugins.list_types) {
    // With --config, its plugins too, so the list is what that graph can use.
    std::optional<copper::Config> config;
    if (!options.config_path.empty() && !(config = load_config(options))) return kExitCannotRun;
    if (!load_plugins(options, config ? &*config : nullptr)) return kExitCannotRun;
    fmt::print("{}", copper::cli::task_types_table(copper::Registry::global()));
    return 0;
  }
  if (options.config_path.empty()) {
    fmt::print(stderr, "error: --config is required\n{}", app.help());
    return kExitCannotRun;
  }
  return run(options);
}

}  // namespace copper
