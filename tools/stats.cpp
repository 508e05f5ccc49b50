#include "stats.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>

#include "follow.hpp"

namespace copper::logtool {

using nlohmann::json;

// n copperlists whose times span T cover n periods of T / (n - 1): rates
// are then (n - 1) / T, the inter-arrival rate, for copperlists and slots alike.
double LogStats::span_seconds() const {
  if (!first_time_ns || !last_time_ns || *last_time_ns <= *first_time_ns || copperlists < 2) return 0.0;
  const double span = static_cast<double>(elapsed(*first_time_ns, *last_time_ns)) / 1e9;
  return span * static_cast<double>(copperlists) / static_cast<double>(copperlists - 1);
}

void add_copperlist(LogStats& stats, const log::CopperListView& cl) {
  ++stats.copperlists;
  if (!stats.first_time_ns) stats.first_time_ns = cl.time_ns;
  stats.last_time_ns = cl.time_ns;
  const size_t tasks = std::min(cl.tasks.size(), stats.process.size());
  for (size_t t = 0; t < tasks; ++t)
    if (cl.tasks[t].status == TaskStatus::failed) ++stats.failed[t];
  fold_spans(
      tasks,
      [&](size_t t) {
        const log::TaskTiming& timing = cl.tasks[t];
        return TaskSpan{timing.start_ns, timing.end_ns, timing.status == TaskStatus::ok};
      },
      [&](size_t t, Nanos duration) { stats.process[t].record(duration); }, stats.end_to_end);
  for (size_t s = 0; s < cl.slots.size() && s < stats.slots.size(); ++s) {
    SlotSizes& slot = stats.slots[s];
    const uint64_t size = cl.slots[s].bytes.size();
    slot.min = slot.messages == 0 ? size : std::min(slot.min, size);
    slot.max = std::max(slot.max, size);
    ++slot.messages;
    slot.bytes += size;
    slot.sizes.record(static_cast<int64_t>(size));
  }
}

namespace {

json histogram_json(const LatencyHistogram& h) {
  return {{"count", h.count()},
          {"mean_ns", h.mean()},
          {"p50_ns", h.percentile(0.5)},
          {"p99_ns", h.percentile(0.99)},
          {"max_ns", h.max()}};
}

double per_second(uint64_t count, double seconds) { return seconds > 0 ? static_cast<double>(count) / seconds : 0.0; }

std::string us(int64_t ns) { return fmt::format("{:.1f}", static_cast<double>(ns) / 1e3); }

}  // namespace

LogStats empty_stats(const log::LogReader& reader) {
  LogStats stats;
  stats.task_ids = task_ids(reader);
  stats.process.resize(stats.task_ids.size());
  stats.failed.resize(stats.task_ids.size());
  for (const auto& producer : slot_producers(reader)) stats.slots.push_back({producer, 0, 0, 0, 0, {}});
  return stats;
}

LogStats gather_stats(log::LogReader& reader, const ClRange& range) {
  LogStats stats = empty_stats(reader);
  Progress progress(expected_cls(reader));
  for_each_in_range(reader, range, [&](const log::CopperListView& cl) {
    add_copperlist(stats, cl);
    progress.add();
    return true;
  });
  return stats;
}

json stats_json(const LogStats& stats) {
  const double seconds = stats.span_seconds();
  json tasks = json::object(), slots = json::object();
  for (size_t t = 0; t < stats.task_ids.size(); ++t) {
    json entry = histogram_json(stats.process[t]);
    entry["failed"] = stats.failed[t];
    tasks[stats.task_ids[t]] = std::move(entry);
  }
  for (const auto& slot : stats.slots)
    slots[slot.producer] = {
        {"messages", slot.messages},
        {"bytes", slot.bytes},
        {"min_bytes", slot.min},
        {"p50_bytes", slot.sizes.percentile(0.5)},
        {"max_bytes", slot.max},
        {"mean_bytes", slot.messages ? static_cast<double>(slot.bytes) / static_cast<double>(slot.messages) : 0.0},
        {"messages_per_s", per_second(slot.messages, seconds)},
        {"bytes_per_s", per_second(slot.bytes, seconds)}};
  return {{"copperlists", stats.copperlists},
          {"first_time_ns", stats.first_time_ns ? json(*stats.first_time_ns) : json(nullptr)},
          {"last_time_ns", stats.last_time_ns ? json(*stats.last_time_ns) : json(nullptr)},
          {"copperlists_per_s", per_second(stats.copperlists, seconds)},
          {"process", std::move(tasks)},
          {"end_to_end", histogram_json(stats.end_to_end)},
          {"slots", std::move(slots)}};
}

std::string stats_text(const LogStats& stats) {
  const double seconds = stats.span_seconds();
  std::string out = fmt::format("{} copperlists covering {:.3f} s of recorded time ({:.1f} CL/s)\n\n",
                                stats.copperlists, seconds, per_second(stats.copperlists, seconds));
  out += fmt::format("{:<16} {:>8} {:>10} {:>10} {:>10} {:>7}\n", "process time", "runs", "p50 us", "p99 us", "max us",
                     "failed");
  auto row = [&](const std::string& name, const LatencyHistogram& h, uint64_t failed) {
    out += fmt::format("{:<16} {:>8} {:>10} {:>10} {:>10} {:>7}\n", name, h.count(), us(h.percentile(0.5)),
                       us(h.percentile(0.99)), us(h.max()), failed);
  };
  for (size_t t = 0; t < stats.task_ids.size(); ++t) row(stats.task_ids[t], stats.process[t], stats.failed[t]);
  row("end to end", stats.end_to_end, 0);
  out += fmt::format("\n{:<16} {:>8} {:>10} {:>10} {:>10} {:>10} {:>12}\n", "message sizes", "count", "min B", "p50 B",
                     "max B", "msg/s", "MB/s");
  for (const auto& slot : stats.slots)
    out += fmt::format("{:<16} {:>8} {:>10} {:>10} {:>10} {:>10.1f} {:>12.3f}\n", slot.producer, slot.messages,
                       slot.min, slot.sizes.percentile(0.5), slot.max, per_second(slot.messages, seconds),
                       per_second(slot.bytes, seconds) / 1e6);
  out += "(percentiles within 3%, from log-linear histograms; rates over recorded copperlist time)\n";
  return out;
}

namespace {

// The report events of the run (docs/log-format.md, "Event kinds"): each
// component's end-of-run figures, such as the live view's drops. A message
// that is not a JSON object is kept as text.
json recorded_reports(log::LogReader& reader) {
  json reports = json::array();
  for (const log::Event& event : reader.check().events) {
    if (event.kind != log::EventKind::report) continue;
    json report = json::parse(event.message, nullptr, false);
    reports.push_back(report.is_object() ? report : json{{"component", "?"}, {"text", event.message}});
  }
  return reports;
}

// One line per report: its component, then its scalar figures.
std::string reports_text(const json& reports) {
  std::string out;
  for (const json& report : reports) {
    out += fmt::format("report {}:", report.value("component", "?"));
    for (const auto& [key, value] : report.items())
      if (key != "component" && value.is_primitive()) out += fmt::format(" {} {}", key, value.dump());
    out += "\n";
  }
  return out;
}

}  // namespace

int run_stats(const StatsOptions& options, Io io) {
  if (options.follow) return run_stats_follow(options, io);
  auto reader = open_decodable_log(options.log, io.err);
  if (!reader) return kExitCannotRun;
  const LogStats stats = gather_stats(*reader, options.range);
  const json reports = recorded_reports(*reader);
  if (options.json) {
    json out = stats_json(stats);
    if (!reports.empty()) out["reports"] = reports;
    io.out << out.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
  } else {
    io.out << stats_text(stats) << (reports.empty() ? "" : "\n") << reports_text(reports);
  }
  return kExitOk;
}

}  // namespace copper::logtool
