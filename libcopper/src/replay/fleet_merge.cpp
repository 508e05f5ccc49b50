#include "fleet_merge.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <system_error>

#include "../bounded_input.hpp"
#include "../text_util.hpp"

namespace copper::fleet {

using detail::fail;

namespace {

struct SegmentReport {
  std::string source;  // the file it came from
  Job job;
  std::string verdict;  // identical | diverged | failed
  std::string error;    // why a failed segment could not run
  std::vector<std::string> task_ids;
  nlohmann::json replays;   // mode -> RUN
  nlohmann::json recorded;  // TIMING of its copperlists
};

Result<std::vector<std::string>> string_list(const nlohmann::json& json, const char* name) {
  if (!json.is_array()) return fail("\"{}\" is not a list", name);
  std::vector<std::string> out;
  for (const auto& item : json) {
    if (!item.is_string()) return fail("\"{}\" holds something other than a string", name);
    out.push_back(item.get<std::string>());
  }
  return out;
}

Result<SegmentReport> parse_report(const nlohmann::json& json) {
  if (!json.is_object() || json.value("copper_replay_segment_report", 0) != kSegmentReportFormat)
    return fail("not a copper-replay segment report (no \"copper_replay_segment_report\": {})", kSegmentReportFormat);
  SegmentReport report;
  auto job = job_from_json(json.value("job", nlohmann::json()));
  if (!job) return fail("\"job\": {}", job.error_message());
  report.job = std::move(*job);
  report.verdict = json.value("verdict", "");
  if (report.verdict != "identical" && report.verdict != "diverged" && report.verdict != "failed")
    return fail("\"verdict\" is not identical, diverged or failed");
  report.error = json.value("error", nlohmann::json()).is_string() ? json["error"].get<std::string>() : "";
  auto ids = string_list(json.value("task_ids", nlohmann::json::array()), "task_ids");
  if (!ids) return ids.status();
  report.task_ids = std::move(*ids);
  report.replays = json.value("replays", nlohmann::json::object());
  if (!report.replays.is_object()) return fail("\"replays\" is not an object");
  report.recorded = json.value("recorded", nlohmann::json());
  return report;
}

Result<std::vector<std::filesystem::path>> report_files(const std::string& path) {
  std::error_code error;
  if (!std::filesystem::is_directory(path, error)) return std::vector<std::filesystem::path>{path};
  std::vector<std::filesystem::path> files;
  for (auto it = std::filesystem::directory_iterator(path, error);
       !error && it != std::filesystem::directory_iterator(); it.increment(error))
    if (it->path().extension() == ".json" && it->is_regular_file(error)) files.push_back(it->path());
  if (error) return fail("{}: cannot list the directory: {}", path, error.message());
  std::sort(files.begin(), files.end());
  return files;
}

Result<std::vector<SegmentReport>> read_reports(const std::vector<std::string>& paths) {
  std::vector<SegmentReport> reports;
  for (const std::string& path : paths) {
    auto files = report_files(path);
    if (!files) return files.status();
    for (const auto& file : *files) {
      auto text = detail::read_input_file(file, "segment report", detail::kMaxJsonBytes);
      if (!text) return fail("{}: {}", file.string(), text.error_message());
      auto json = detail::parse_json_bounded(*text, "a segment report");
      if (!json) return fail("{}: {}", file.string(), json.error_message());
      auto report = parse_report(*json);
      if (!report) return fail("{}: {}", file.string(), report.error_message());
      report->source = file.string();
      reports.push_back(std::move(*report));
    }
  }
  if (reports.empty()) return fail("no segment report in {}", detail::join(paths, ", "));
  return reports;
}

// Every report of one plan, one per job.
Status check_one_plan(const std::vector<SegmentReport>& reports, const std::vector<Job>* jobs) {
  const SegmentReport& first = reports.front();
  const std::string plan = jobs ? jobs->front().plan : first.job.plan;
  std::map<uint64_t, const SegmentReport*> by_index;
  for (const SegmentReport& report : reports) {
    if (report.job.plan != plan)
      return fail("{} is a report of plan {}, {} one of plan {}: reports of another plan cannot be merged",
                  report.source, report.job.plan, jobs ? "the jobs file is" : first.source + " is", plan);
    if (report.job.index >= report.job.jobs || report.job.jobs != first.job.jobs)
      return fail("{}: job {} of {} does not fit its plan of {} jobs", report.source, report.job.index, report.job.jobs,
                  first.job.jobs);
    if (auto [it, added] = by_index.emplace(report.job.index, &report); !added)
      return fail("{} and {} are both reports of job {}", it->second->source, report.source, report.job.index);
  }
  return {};
}

void add_timing(RunTiming& into, const RunTiming& from) {
  into.copperlists += from.copperlists;
  into.wall_time += from.wall_time;
  if (into.tasks.size() < from.tasks.size()) into.tasks.resize(from.tasks.size());
  for (size_t i = 0; i < from.tasks.size(); ++i) into.tasks[i].merge(from.tasks[i]);
  into.end_to_end.merge(from.end_to_end);
}

Status add_run(MergedRun& merged, const SegmentReport& report, const nlohmann::json& run) {
  if (!run.is_object()) return fail("{}: a replay is not an object", report.source);
  merged.identical = merged.identical && run.value("identical", false);
  merged.replayed += run.value("replayed", uint64_t{0});
  merged.compared += run.value("compared", uint64_t{0});
  merged.diverged_cls += run.value("diverged_copperlists", uint64_t{0});
  const nlohmann::json per_task = run.value("diverged_per_task", nlohmann::json::object());
  for (const auto& [task, count] : per_task.items())
    if (count.is_number_unsigned()) merged.diverged_per_task[task] += count.get<uint64_t>();
  const nlohmann::json divergence = run.value("first_divergence", nlohmann::json());
  if (merged.first_divergence.is_null() && divergence.is_object()) merged.first_divergence = divergence;
  for (const char* what : {"failure", "recorded_failure"})
    if (run.value(what, nlohmann::json()).is_string() && !(run.value("failure_reproduced", false)))
      merged.failures.push_back(fmt::format("segment {} ({}..{}): {}: {}", report.job.segment, report.job.from,
                                            report.job.to, what, run[what].get<std::string>()));
  if (report.job.open_end) merged.input_end = run.value("input_end", "");
  auto timing = timing_from_json(run.value("timing", nlohmann::json()), report.task_ids);
  if (!timing) return fail("{}: \"timing\": {}", report.source, timing.error_message());
  add_timing(merged.timing, *timing);
  return {};
}

// A log's reported segments, in copperlist order, folded into one.
Status merge_log(MergedLog& log, std::vector<const SegmentReport*> segments) {
  std::sort(segments.begin(), segments.end(),
            [](const SegmentReport* a, const SegmentReport* b) { return a->job.segment < b->job.segment; });
  std::set<uint64_t> seen;
  for (const SegmentReport* report : segments) {
    seen.insert(report->job.segment);
    if (report->verdict == "failed") {
      log.failed.emplace_back(report->job.segment, report->error);
      continue;
    }
    if (log.task_ids.empty()) log.task_ids = report->task_ids;
    for (const auto& [mode, run] : report->replays.items()) {
      auto at = std::find(log.modes.begin(), log.modes.end(), mode);
      if (at == log.modes.end()) {
        log.modes.push_back(mode);
        log.runs.emplace_back();
        at = log.modes.end() - 1;
      }
      if (Status added = add_run(log.runs[static_cast<size_t>(at - log.modes.begin())], *report, run); !added)
        return added;
    }
    auto recorded = timing_from_json(report->recorded, report->task_ids);
    if (!recorded) return fail("{}: \"recorded\": {}", report->source, recorded.error_message());
    if (!log.recorded) log.recorded = RunTiming{};
    add_timing(*log.recorded, *recorded);
  }
  for (uint64_t s = 0; s < log.segments; ++s)
    if (!seen.count(s)) log.missing.push_back(s);
  const bool identical = std::all_of(log.runs.begin(), log.runs.end(), [](const MergedRun& r) { return r.identical; });
  log.verdict = !log.missing.empty() || !log.failed.empty() ? "incomplete" : identical ? "identical" : "diverged";
  return {};
}

MergedLog log_of(const Job& job) {
  MergedLog log;
  log.log = job.log;
  log.run_id = job.run_id;
  log.segments = job.segments;
  log.skipped = job.skipped;
  log.notes = job.notes;
  return log;
}

nlohmann::json run_json(const std::vector<std::string>& task_ids, const MergedRun& run) {
  return {{"identical", run.identical},
          {"replayed", run.replayed},
          {"compared", run.compared},
          {"diverged_copperlists", run.diverged_cls},
          {"diverged_per_task", run.diverged_per_task},
          {"first_divergence", run.first_divergence},
          {"failures", run.failures},
          {"input_end", run.input_end},
          {"timing", timing_json(task_ids, run.timing)}};
}

}  // namespace

nlohmann::json histogram_json(const LatencyHistogram& histogram) {
  const LatencyHistogram::Parts parts = histogram.parts();
  nlohmann::json buckets = nlohmann::json::array();
  for (const auto& [index, count] : parts.buckets) buckets.push_back({index, count});
  return {{"count", parts.count},
          {"p50_ns", histogram.percentile(0.5)},
          {"p99_ns", histogram.percentile(0.99)},
          {"max_ns", parts.max},
          {"min_ns", parts.min},
          {"sum", {parts.sum_low, parts.sum_high}},
          {"buckets", std::move(buckets)}};
}

Result<LatencyHistogram> histogram_from_json(const nlohmann::json& json) {
  if (!json.is_object()) return fail("a histogram is not an object");
  LatencyHistogram::Parts parts;
  const nlohmann::json buckets = json.value("buckets", nlohmann::json());
  const nlohmann::json sum = json.value("sum", nlohmann::json());
  if (!buckets.is_array() || !sum.is_array() || sum.size() != 2 || !sum[0].is_number_unsigned() ||
      !sum[1].is_number_unsigned())
    return fail("a histogram without its buckets and sum (a report of another version?)");
  for (const auto& bucket : buckets) {
    if (!bucket.is_array() || bucket.size() != 2 || !bucket[0].is_number_unsigned() || !bucket[1].is_number_unsigned())
      return fail("a histogram bucket is not [index, count]");
    parts.buckets.emplace_back(bucket[0].get<uint32_t>(), bucket[1].get<uint64_t>());
  }
  parts.count = json.value("count", uint64_t{0});
  parts.min = json.value("min_ns", int64_t{0});
  parts.max = json.value("max_ns", int64_t{0});
  parts.sum_low = sum[0].get<uint64_t>();
  parts.sum_high = sum[1].get<uint64_t>();
  return LatencyHistogram::from_parts(parts);
}

nlohmann::json timing_json(const std::vector<std::string>& task_ids, const RunTiming& timing) {
  nlohmann::json tasks = nlohmann::json::object();
  for (size_t i = 0; i < timing.tasks.size() && i < task_ids.size(); ++i)
    tasks[task_ids[i]] = histogram_json(timing.tasks[i]);
  return {{"copperlists", timing.copperlists},
          {"wall_time_ns", timing.wall_time},
          {"cl_per_s", timing.cls_per_second()},
          {"end_to_end", histogram_json(timing.end_to_end)},
          {"tasks", std::move(tasks)}};
}

Result<RunTiming> timing_from_json(const nlohmann::json& json, const std::vector<std::string>& task_ids) {
  if (!json.is_object()) return fail("not a timing object");
  RunTiming timing;
  timing.copperlists = json.value("copperlists", uint64_t{0});
  timing.wall_time = json.value("wall_time_ns", Nanos{0});
  auto end_to_end = histogram_from_json(json.value("end_to_end", nlohmann::json()));
  if (!end_to_end) return fail("\"end_to_end\": {}", end_to_end.error_message());
  timing.end_to_end = *end_to_end;
  const nlohmann::json tasks = json.value("tasks", nlohmann::json::object());
  for (const std::string& id : task_ids) {
    if (!tasks.contains(id)) return fail("no histogram for task \"{}\"", id);
    auto task = histogram_from_json(tasks[id]);
    if (!task) return fail("task \"{}\": {}", id, task.error_message());
    timing.tasks.push_back(*task);
  }
  return timing;
}

Result<Merged> merge_reports(const std::vector<std::string>& paths, const std::vector<Job>* jobs) {
  auto reports = read_reports(paths);
  if (!reports) return reports.status();
  if (Status one_plan = check_one_plan(*reports, jobs); !one_plan) return one_plan;
  Merged merged;
  merged.plan = reports->front().job.plan;
  merged.jobs = reports->front().job.jobs;
  merged.reports = reports->size();
  // The logs in plan order: from the jobs file when given, else as the
  // reports name them (a log without any report is then unknown by name).
  std::vector<MergedLog> logs;
  std::map<std::string, std::vector<const SegmentReport*>> by_log;
  std::set<uint64_t> reported;
  auto ensure_log = [&](const Job& job) {
    if (std::none_of(logs.begin(), logs.end(), [&](const MergedLog& l) { return l.log == job.log; }))
      logs.push_back(log_of(job));
  };
  if (jobs)
    for (const Job& job : *jobs) ensure_log(job);
  std::vector<const SegmentReport*> ordered;
  for (const SegmentReport& report : *reports) ordered.push_back(&report);
  std::sort(ordered.begin(), ordered.end(),
            [](const SegmentReport* a, const SegmentReport* b) { return a->job.index < b->job.index; });
  for (const SegmentReport* report : ordered) {
    ensure_log(report->job);
    by_log[report->job.log].push_back(report);
    reported.insert(report->job.index);
  }
  for (uint64_t i = 0; i < merged.jobs; ++i)
    if (!reported.count(i)) merged.missing.push_back(i);
  bool any_incomplete = !merged.missing.empty(), any_diverged = false;
  for (MergedLog& log : logs) {
    if (Status folded = merge_log(log, by_log[log.log]); !folded) return folded;
    any_incomplete = any_incomplete || log.verdict == "incomplete";
    any_diverged = any_diverged || log.verdict == "diverged";
  }
  merged.logs = std::move(logs);
  merged.verdict = any_incomplete ? "incomplete" : any_diverged ? "diverged" : "identical";
  return merged;
}

nlohmann::json merged_json(const Merged& merged) {
  nlohmann::json logs = nlohmann::json::array();
  for (const MergedLog& log : merged.logs) {
    nlohmann::json runs = nlohmann::json::object();
    for (size_t i = 0; i < log.modes.size(); ++i) runs[log.modes[i]] = run_json(log.task_ids, log.runs[i]);
    nlohmann::json failed = nlohmann::json::array();
    for (const auto& [segment, why] : log.failed) failed.push_back({{"segment", segment}, {"error", why}});
    logs.push_back({{"log", log.log},
                    {"run_id", log.run_id},
                    {"verdict", log.verdict},
                    {"segments", log.segments},
                    {"missing_segments", log.missing},
                    {"failed_segments", std::move(failed)},
                    {"notes", log.notes},
                    {"skipped", skipped_json(log.skipped)},
                    {"recorded", log.recorded ? timing_json(log.task_ids, *log.recorded) : nlohmann::json(nullptr)},
                    {"replays", std::move(runs)}});
  }
  return {{"copper_replay_merged", 1}, {"plan", merged.plan},       {"verdict", merged.verdict},
          {"jobs", merged.jobs},       {"reports", merged.reports}, {"missing_jobs", merged.missing},
          {"logs", std::move(logs)}};
}

}  // namespace copper::fleet
