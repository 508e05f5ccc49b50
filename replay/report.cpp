#include "report.hpp"

#include <fmt/format.h>

#include <vector>

#include "replay/fleet_merge.hpp"

namespace copper::replay_cli {

namespace {

struct Column {
  std::string name;
  const RunTiming* timing;
};

std::vector<Column> columns(const Replay& replay, const Runs& runs, uint32_t max_in_flight) {
  std::vector<Column> out{{"recorded", &replay.recorded_timing()}};
  if (runs.serial) out.push_back({"serial", &runs.serial->timing});
  if (runs.parallel) out.push_back({fmt::format("parallel x{}", max_in_flight), &runs.parallel->timing});
  return out;
}

std::string micros(int64_t ns) { return fmt::format("{:.1f}", static_cast<double>(ns) / 1e3); }

std::string spread(const LatencyHistogram& h) {
  if (h.count() == 0) return "-";
  return micros(h.percentile(0.5)) + "/" + micros(h.percentile(0.99)) + "/" + micros(h.max());
}

std::string row(const std::string& label, const std::vector<std::string>& cells) {
  std::string line = fmt::format("{:<34}", label);
  for (const auto& cell : cells) line += fmt::format(" {:>22}", cell);
  return line + "\n";
}

// The id of the i-th replayed copperlist (stretches restart after gaps).
uint64_t replayed_id(const ReplayOutcome& outcome, uint64_t i) {
  for (const auto& [first, last] : outcome.replayed_ranges) {
    if (i <= last - first) return first + i;
    i -= last - first + 1;
  }
  return i;  // not reached: every replayed copperlist is in a range
}

std::optional<std::string> compare_runs(const ReplayOutcome& serial, const ReplayOutcome& parallel) {
  const auto& a = serial.output_hashes;
  const auto& b = parallel.output_hashes;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i)
    if (a[i] != b[i]) return fmt::format("outputs first differ at copperlist {}", replayed_id(serial, i));
  if (a.size() != b.size())
    return fmt::format("the serial replay ran {} copperlists, the parallel one {}", a.size(), b.size());
  return std::nullopt;
}

bool run_identical(const ReplayOutcome& outcome) { return outcome.identical(); }

std::string describe_run(const std::string& name, const ReplayOutcome& outcome) {
  std::string text;
  const std::string start = outcome.started_at ? fmt::format(" (from the keyframe at copperlist {})", *outcome.started_at) : "";
  if (outcome.run.failure && outcome.failure_reproduced)
    text += fmt::format("{} replay: reproduced the failure the recording stopped on: {}\n", name,
                        outcome.run.failure->describe());
  else if (outcome.run.failure)
    text += fmt::format("{} replay: error: {}\n", name, outcome.run.failure->describe());
  if (outcome.recorded_failure && !outcome.failure_reproduced)
    text += fmt::format("{} replay: the recording stopped on a failure the replay did NOT reproduce: {}\n", name,
                        outcome.recorded_failure->describe());
  if (!outcome.failure_note.empty()) text += fmt::format("  note: {}\n", outcome.failure_note);
  if (outcome.diverged_cls == 0) {
    text += fmt::format("{} replay: identical to the recording: {} copperlists replayed{}, {} compared\n", name,
                        outcome.replayed, start, outcome.compared);
  } else {
    text += fmt::format("{} replay: DIVERGED in {} of {} compared copperlists{}\n", name, outcome.diverged_cls,
                        outcome.compared, start);
    text += fmt::format("  first divergence: {}\n", outcome.first_divergence->describe());
    for (const auto& [task, count] : outcome.diverged_per_task)
      text += fmt::format("  task \"{}\" diverged in {} copperlists\n", task, count);
  }
  if (!outcome.input_end.empty()) text += fmt::format("  stopped reading the log: {}\n", outcome.input_end);
  for (const SkippedRange& skipped : outcome.skipped)
    text += fmt::format("  not replayed: copperlists {}..{}: {}\n", skipped.first, skipped.last, skipped.why);
  for (const auto& failure : outcome.run.stop_failures) text += fmt::format("  error: {}\n", failure.describe());
  return text;
}

nlohmann::json timing_json(const Replay& replay, const RunTiming& timing) {
  return fleet::timing_json(replay.task_ids(), timing);
}

nlohmann::json run_json(const Replay& replay, const ReplayOutcome& outcome) {
  nlohmann::json divergence = nullptr;
  if (outcome.first_divergence) {
    const Divergence& d = *outcome.first_divergence;
    nlohmann::json fields = nlohmann::json::array();
    for (const JsonDifference& f : d.fields)
      fields.push_back({{"field", f.path}, {"recorded", f.left}, {"replayed", f.right}});
    divergence = {{"cl_id", d.cl_id},
                  {"task", d.task_id},
                  {"field", d.field_path},
                  {"recorded", d.recorded},
                  {"replayed", d.replayed},
                  {"fields", std::move(fields)},
                  {"field_count", d.field_count},
                  {"description", d.describe()}};
  }
  return {{"identical", outcome.identical()},
          {"replayed", outcome.replayed},
          {"compared", outcome.compared},
          {"diverged_copperlists", outcome.diverged_cls},
          {"diverged_per_task", outcome.diverged_per_task},
          {"first_divergence", divergence},
          {"started_at_keyframe", outcome.started_at ? nlohmann::json(*outcome.started_at) : nlohmann::json(nullptr)},
          {"stopped", to_string(outcome.run.reason)},
          {"input_end", outcome.input_end},
          {"skipped", fleet::skipped_json(outcome.skipped)},
          {"failure", outcome.run.failure ? nlohmann::json(outcome.run.failure->describe()) : nlohmann::json(nullptr)},
          {"recorded_failure",
           outcome.recorded_failure ? nlohmann::json(outcome.recorded_failure->describe()) : nlohmann::json(nullptr)},
          {"failure_reproduced", outcome.failure_reproduced},
          {"failure_note", outcome.failure_note},
          {"timing", timing_json(replay, outcome.timing)}};
}

}  // namespace

Verdict judge(const Runs& runs) {
  Verdict verdict;
  if (runs.serial && !run_identical(*runs.serial)) verdict.identical = false;
  if (runs.parallel && !run_identical(*runs.parallel)) verdict.identical = false;
  if (runs.serial && runs.parallel) {
    verdict.serial_vs_parallel = compare_runs(*runs.serial, *runs.parallel);
    if (verdict.serial_vs_parallel) verdict.identical = false;
  }
  return verdict;
}

std::string verdict_text(const Runs& runs, const Verdict& verdict) {
  std::string text;
  if (runs.serial) text += describe_run("serial", *runs.serial);
  if (runs.parallel) text += describe_run("parallel", *runs.parallel);
  if (runs.serial && runs.parallel)
    text += verdict.serial_vs_parallel ? fmt::format("serial vs parallel: DIFFER: {}\n", *verdict.serial_vs_parallel)
                                       : "serial vs parallel: identical\n";
  text += verdict.identical ? "verdict: identical\n" : "verdict: DIVERGED\n";
  return text;
}

std::string timing_table(const Replay& replay, const Runs& runs, uint32_t max_in_flight) {
  std::vector<TimingColumn> cols;
  for (const Column& col : columns(replay, runs, max_in_flight)) cols.push_back({col.name, col.timing});
  return timing_table(replay.task_ids(), cols);
}

std::string timing_table(const std::vector<std::string>& task_ids, const std::vector<TimingColumn>& cols) {
  auto cells = [&](auto cell) {
    std::vector<std::string> out;
    for (const TimingColumn& col : cols) out.push_back(cell(*col.timing));
    return out;
  };
  const double recorded_rate = cols.empty() ? 0.0 : cols.front().timing->cls_per_second();
  std::string table;
  std::vector<std::string> names;
  for (const TimingColumn& col : cols) names.push_back(col.name);
  table += row("", names);
  table += row("copperlists", cells([](const RunTiming& t) { return fmt::format("{}", t.copperlists); }));
  table += row("wall time (s)", cells([](const RunTiming& t) { return fmt::format("{:.3f}", static_cast<double>(t.wall_time) / 1e9); }));
  table += row("CL/s", cells([](const RunTiming& t) { return fmt::format("{:.0f}", t.cls_per_second()); }));
  table += row("speedup vs recorded", cells([&](const RunTiming& t) {
                 return recorded_rate > 0 ? fmt::format("{:.2f}x", t.cls_per_second() / recorded_rate) : "-";
               }));
  table += row("end to end p50/p99/max (us)", cells([](const RunTiming& t) { return spread(t.end_to_end); }));
  for (size_t task = 0; task < task_ids.size(); ++task)
    table += row(fmt::format("{} p50/p99/max (us)", task_ids[task]),
                 cells([&](const RunTiming& t) { return task < t.tasks.size() ? spread(t.tasks[task]) : "-"; }));
  return table;
}

nlohmann::json report_json(const std::string& log, const Replay& replay, const Runs& runs, const Verdict& verdict) {
  nlohmann::json replays = nlohmann::json::object();
  if (runs.serial) replays["serial"] = run_json(replay, *runs.serial);
  if (runs.parallel) replays["parallel"] = run_json(replay, *runs.parallel);
  nlohmann::json report = {{"log", log},
                           {"verdict", verdict.identical ? "identical" : "diverged"},
                           {"damage", replay.damage()},
                           {"recorded", timing_json(replay, replay.recorded_timing())},
                           {"replays", std::move(replays)}};
  if (runs.serial && runs.parallel)
    report["serial_vs_parallel"] = {{"identical", !verdict.serial_vs_parallel},
                                    {"difference", verdict.serial_vs_parallel ? nlohmann::json(*verdict.serial_vs_parallel)
                                                                              : nlohmann::json(nullptr)}};
  return report;
}

}  // namespace copper::replay_cli
