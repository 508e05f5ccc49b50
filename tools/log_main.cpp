// copper-log: the log toolbox. git-style subcommands; each one's logic is
// in its own module (tools/README.md documents them all).
//
// Exit codes: the three tools' one table (exit_codes.hpp, docs/exit-codes.md):
// 0 success (check: healthy; diff: same); 1 diff: the logs differ, or an
// output failed; 2 usage error or an unreadable log; 3 damaged but
// salvageable (check, recover).
#include "copper/tools.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <unistd.h>

#include <exception>
#include <iostream>

#include "check.hpp"
#include "cli_values.hpp"
#include "copper/registry.hpp"
#include "copper/runtime.hpp"
#include "diff.hpp"
#include "export.hpp"
#include "info.hpp"
#include "plugin_cli.hpp"
#include "recover.hpp"
#include "stats.hpp"
#include "text.hpp"
#include "trace.hpp"

namespace {

using namespace copper::logtool;

struct Commands {
  InfoOptions info;
  CheckOptions check;
  RecoverOptions recover;
  ExportOptions export_;
  std::string export_format = "json";
  std::string export_tasks;
  std::string export_compress = "zstd";
  std::string export_views = "auto";
  bool no_blobs = false;
  TextOptions text;
  std::string text_level;
  DiffOptions diff;
  TraceOptions trace;
  StatsOptions stats;
  copper::cli::PluginOptions plugins;
};

void add_range(CLI::App* command, ClRange& range) {
  command->add_option("--from", range.from, "first copperlist id")->transform(copper::cli::whole_number());
  command->add_option("--to", range.to, "last copperlist id (inclusive)")->transform(copper::cli::whole_number());
}

void add_info_check_recover(CLI::App& app, Commands& c) {
  auto* info = app.add_subcommand("info", "what a log holds: run, host, graph, sizes, health");
  info->add_option("log", c.info.log, "the log")->required();
  info->add_flag("--json", c.info.json, "print JSON (schema: tools/README.md)");

  auto* check = app.add_subcommand("check", "verify every record; exit 0 healthy, 3 damaged, 2 unreadable");
  check->add_option("log", c.check.log, "the log")->required();
  check->add_flag("--json", c.check.json, "print JSON (schema: tools/README.md)");

  auto* recover = app.add_subcommand("recover", "write what is salvageable into a clean, closed log");
  recover->add_option("log", c.recover.log, "the damaged or unclosed log")->required();
  recover->add_option("-o,--output", c.recover.output, "the new log")->required();
  recover->add_flag("-f,--force", c.recover.force, "overwrite the output if it exists");
  recover->add_option("--compress", c.recover.compress, "none | zstd[:level] (default: as the original)")
      ->check(copper::cli::compression());
  recover->add_flag("--json", c.recover.json, "print JSON (schema: tools/README.md)");
}

void add_export_text(CLI::App& app, Commands& c) {
  auto* exp = app.add_subcommand("export", "copperlists decoded through the log's schemas");
  exp->add_option("log", c.export_.log, "the log")->required();
  exp->add_option("--format", c.export_format,
                  "json (one document) | jsonl (one copperlist per line) | csv | mcap (Foxglove, needs -o)")
      ->check(CLI::IsMember({"json", "jsonl", "csv", "mcap"}));
  exp->add_option("--tasks", c.export_tasks, "only these tasks, comma separated");
  add_range(exp, c.export_.range);
  exp->add_flag("--metadata", c.export_.metadata, "add task timings per copperlist (JSON: and the log's metadata)");
  exp->add_flag("--no-blobs", c.no_blobs, "leave out byte arrays (images...) instead of base64");
  exp->add_option("-o,--output", c.export_.output, "write here instead of stdout");
  exp->add_flag("-f,--force", c.export_.force, "mcap: overwrite the output if it exists");
  exp->add_option("--compress", c.export_compress, "mcap: chunk compression, zstd (default) | none")
      ->check(CLI::IsMember({"zstd", "none"}));
  exp->add_option("--chunk-size", c.export_.chunk_size, "mcap: uncompressed bytes per chunk (default 1048576)")
      ->transform(copper::cli::whole_number());
  exp->add_option("--mapping", c.export_.mapping, "mcap: JSON file mapping message types onto Foxglove schemas");
  exp->add_option("--views", c.export_views,
                  "mcap: a message type with a Foxglove view gets both channels, plain or well-known; auto "
                  "(default): both, an image its view alone")
      ->check(CLI::IsMember({"auto", "both", "plain", "well-known"}));
  exp->add_flag("--follow", c.export_.follow, "read the log as it is written, until its recorder ends or Ctrl-C");

  auto* text = app.add_subcommand("text", "the structured text logs, as lines");
  text->add_option("log", c.text.log, "the log")->required();
  text->add_option("--level", c.text_level, "lowest level shown")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  text->add_option("--task", c.text.task, "only this task's lines");
  text->add_flag("--json", c.text.json, "one JSON object per line");
  text->add_flag("--follow", c.text.follow, "read the log as it is written, until its recorder ends or Ctrl-C");
}

void add_diff_trace_stats(CLI::App& app, Commands& c) {
  auto* diff = app.add_subcommand("diff", "compare two logs copperlist by copperlist; exit 0 same, 1 different");
  diff->add_option("a", c.diff.a, "first log")->required();
  diff->add_option("b", c.diff.b, "second log")->required();
  diff->add_flag("--timing", c.diff.timing, "also put process timings side by side");
  diff->add_flag("--json", c.diff.json, "print JSON (schema: tools/README.md)");

  auto* trace = app.add_subcommand("trace", "Chrome trace-event JSON of the task spans (Perfetto, chrome://tracing)");
  trace->add_option("log", c.trace.log, "the log")->required();
  trace->add_option("-o,--output", c.trace.output, "the trace file")->required();
  add_range(trace, c.trace.range);

  auto* stats = app.add_subcommand("stats", "process times, message sizes and rates, end-to-end latency");
  stats->add_option("log", c.stats.log, "the log")->required();
  add_range(stats, c.stats.range);
  stats->add_flag("--json", c.stats.json, "print JSON (schema: tools/README.md)");
  stats->add_flag("--follow", c.stats.follow,
                  "read the log as it is written: a table redrawn every second (JSON lines when not a terminal)");
}

int usage_error(const std::string& message) {
  fmt::print(stderr, "error: {}\n", message);
  return kExitCannotRun;
}

bool bad_range(const ClRange& range) { return range.from && range.to && *range.to < *range.from; }

int dispatch(CLI::App& app, Commands& c) {
  Io io{std::cout, std::cerr};
  // Ctrl-C ends a follow cleanly, with what was read written out.
  if (c.export_.follow || c.text.follow || c.stats.follow) copper::install_stop_signal_handlers();
  c.stats.terminal = ::isatty(STDOUT_FILENO) != 0;
  if (app.got_subcommand("info")) return run_info(c.info, io);
  if (app.got_subcommand("check")) return run_check(c.check, io);
  if (app.got_subcommand("recover")) return run_recover(c.recover, io);
  if (app.got_subcommand("export")) {
    c.export_.format = c.export_format == "csv"     ? ExportFormat::csv
                       : c.export_format == "jsonl" ? ExportFormat::jsonl
                       : c.export_format == "mcap"  ? ExportFormat::mcap
                                                    : ExportFormat::json;
    c.export_.compress = c.export_compress == "zstd";
    c.export_.views = c.export_views == "plain"        ? ExportOptions::Views::plain
                      : c.export_views == "well-known" ? ExportOptions::Views::well_known
                      : c.export_views == "both"       ? ExportOptions::Views::both
                                                       : ExportOptions::Views::automatic;
    if (c.export_.chunk_size == 0) return usage_error("--chunk-size must be at least 1 byte");
    if (c.no_blobs && c.export_.format == ExportFormat::mcap)
      return usage_error("--no-blobs does not apply to --format mcap (its schemas require every field)");
    c.export_.tasks = split_list(c.export_tasks);
    c.export_.blobs = !c.no_blobs;
    if (bad_range(c.export_.range)) return usage_error("--to is before --from");
    return run_export(c.export_, io);
  }
  if (app.got_subcommand("text")) {
    if (!c.text_level.empty()) c.text.level = parse_level(c.text_level);
    return run_text(c.text, io);
  }
  if (app.got_subcommand("diff")) return run_diff(c.diff, io);
  if (app.got_subcommand("trace")) {
    if (bad_range(c.trace.range)) return usage_error("--to is before --from");
    return run_trace(c.trace, io);
  }
  if (bad_range(c.stats.range)) return usage_error("--to is before --from");
  return run_stats(c.stats, io);
}

}  // namespace

namespace copper {

int log_main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  CLI::App app{"copper-log: inspect, check, recover, export, diff and trace copper logs"};
  app.require_subcommand(0, 1);
  Commands commands;
  copper::cli::add_plugin_options(app, commands.plugins);
  add_info_check_recover(app, commands);
  add_export_text(app, commands);
  add_diff_trace_stats(app, commands);
  if (auto done = copper::cli::parse_command_line(app, argc, argv)) return *done;
  if (!copper::cli::load_plugins(commands.plugins.plugins, std::filesystem::current_path())) return kExitCannotRun;
  if (commands.plugins.list_types) {
    fmt::print("{}", copper::cli::task_types_table(copper::Registry::global()));
    return 0;
  }
  if (app.get_subcommands().empty()) return usage_error("a subcommand is required (--help lists them)");
  try {
    return dispatch(app, commands);
  } catch (const std::exception& e) {
    // A bug, not a damaged log (those are values): still one line, no core dump.
    fmt::print(stderr, "error: internal: {}\n", e.what());
    return kExitFailed;
  }
}

}  // namespace copper
