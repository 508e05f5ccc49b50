#include "fleet_plan.hpp"

#include <fmt/format.h>
#include <xxhash.h>

#include <algorithm>
#include <cstdlib>
#include <system_error>

#include "../bounded_input.hpp"
#include "../text_util.hpp"
#include "copper/log/reader.hpp"
#include "segments.hpp"

namespace copper::fleet {

using detail::fail;

namespace {

constexpr int kJobFormat = 1;

// Field `name` of a job line as T; the error names the field.
template <class T>
Result<T> field(const nlohmann::json& line, const char* name) {
  if (!line.contains(name)) return fail("field \"{}\" is missing", name);
  const nlohmann::json& value = line[name];
  if constexpr (std::is_same_v<T, std::string>) {
    if (!value.is_string()) return fail("field \"{}\" is not a string", name);
  } else if constexpr (std::is_same_v<T, bool>) {
    if (!value.is_boolean()) return fail("field \"{}\" is not true or false", name);
  } else {
    if (!value.is_number_unsigned()) return fail("field \"{}\" is not a whole number", name);
  }
  return value.get<T>();
}

// The log's shape as planning sees it: the intact keyframes that hold a
// state for every task the recording says keeps one.
struct Survey {
  std::string run_id;
  replay::LogShape shape;
  std::vector<std::pair<uint64_t, uint64_t>> costs;  // (id, recorded process time of all tasks), ascending
  std::vector<std::string> damage;
};

// A task the recording says keeps state (not a source, not stateless): a
// keyframe must hold its state to restart a replay. The planner loads no
// task code, so it reads this from the log's metadata ("tasks").
struct KeptState {
  uint32_t index = 0;
  std::string id, type;
};

std::vector<KeptState> tasks_keeping_state(const nlohmann::json& metadata) {
  std::vector<KeptState> kept;
  if (!metadata.is_object() || !metadata.contains("tasks") || !metadata["tasks"].is_array()) return kept;
  for (const auto& task : metadata["tasks"]) {
    if (!task.is_object() || !task.value("index", nlohmann::json()).is_number_unsigned()) continue;
    if (task.value("kind", "") == "source" || task.value("stateless", false)) continue;
    kept.push_back({task["index"].get<uint32_t>(), task.value("id", "?"), task.value("type", "?")});
  }
  return kept;
}

// Why the keyframe cannot restore every task that keeps state; empty
// when it can (the replay's own rule, replay.cpp).
std::string keyframe_lacks(const std::vector<KeptState>& kept, const log::Keyframe& keyframe) {
  for (const KeptState& task : kept) {
    const bool held = std::any_of(keyframe.states.begin(), keyframe.states.end(), [&](const auto& state) {
      return state.task_index == task.index && !state.state.empty();
    });
    if (!held)
      return fmt::format(
          "task \"{}\" ({}) has no state in the keyframe at copperlist {}: it does not support "
          "freeze/thaw",
          task.id, task.type, keyframe.cl_id);
  }
  return "";
}

Result<Survey> survey(const std::filesystem::path& path) {
  auto reader = log::LogReader::open(path);
  if (!reader) return fail("{}: {}", path.string(), reader.error_message());
  Survey survey;
  survey.run_id = reader->header().run_id_hex;
  const log::CheckReport& check = reader->check();
  for (const log::Damage& d : check.damage)
    survey.damage.push_back(fmt::format("offset {}, {} bytes: {}", d.offset, d.length, d.reason));
  if (check.first_cl_id && check.last_cl_id)
    survey.shape.present = replay::present_ranges(*check.first_cl_id, *check.last_cl_id, check.missing_cls);
  const std::vector<KeptState> kept = tasks_keeping_state(reader->metadata());
  survey.shape.stateful = !kept.empty();
  reader->for_each_keyframe([&](const log::Keyframe& keyframe) {
    if (std::string lacking = keyframe_lacks(kept, keyframe); lacking.empty())
      survey.shape.keyframes.push_back(keyframe.cl_id);
    else
      survey.shape.unusable_keyframes.emplace_back(keyframe.cl_id, std::move(lacking));
    return true;
  });
  std::sort(survey.shape.keyframes.begin(), survey.shape.keyframes.end());
  survey.shape.keyframes.erase(std::unique(survey.shape.keyframes.begin(), survey.shape.keyframes.end()),
                               survey.shape.keyframes.end());
  std::sort(survey.shape.unusable_keyframes.begin(), survey.shape.unusable_keyframes.end());
  reader->for_each_copperlist([&](const log::CopperListView& cl) {
    uint64_t cost = 0;
    for (const log::TaskTiming& t : cl.tasks)
      if (t.status == TaskStatus::ok) cost += static_cast<uint64_t>(elapsed(t.start_ns, t.end_ns));
    survey.costs.emplace_back(cl.id, cost);
    return true;
  });
  std::sort(survey.costs.begin(), survey.costs.end());
  return survey;
}

uint64_t cost_of(const Survey& survey, uint64_t from, uint64_t to) {
  auto it = std::lower_bound(survey.costs.begin(), survey.costs.end(), std::pair<uint64_t, uint64_t>{from, 0});
  uint64_t total = 0;
  for (; it != survey.costs.end() && it->first <= to; ++it) total += it->second;
  return total;
}

// The jobs of one log, without their plan-wide fields (plan, index, jobs).
Result<std::vector<Job>> plan_log(const std::filesystem::path& path, const SegmentSize& size,
                                  std::vector<std::string>& warnings) {
  auto surveyed = survey(path);
  if (!surveyed) return surveyed.status();
  const Survey& log = *surveyed;
  auto stretches = replay::plan_segments(log.shape, std::nullopt, std::nullopt);
  if (!stretches) return fail("{}: {}", path.string(), stretches.error_message());
  if (stretches->segments.empty()) return fail("{}: the log holds no copperlist: nothing to replay", path.string());
  std::vector<std::string> notes;
  if (!log.damage.empty())
    notes.push_back(fmt::format("the log is damaged ({} range{}): planned up to its intact part", log.damage.size(),
                                log.damage.size() > 1 ? "s" : ""));
  if (log.shape.keyframes.empty() && !log.shape.unusable_keyframes.empty())
    notes.push_back(
        fmt::format("no keyframe can restart a replay ({}): one segment", log.shape.unusable_keyframes.front().second));
  else if (log.shape.keyframes.empty())
    notes.push_back("the log has no keyframes: one segment (record with logging.keyframe_interval to split it)");
  for (const std::string& note : notes) warnings.push_back(fmt::format("{}: {}", path.string(), note));
  for (const SkippedRange& s : stretches->skipped)
    warnings.push_back(fmt::format("{}: not replayed: copperlists {}..{}: {}", path.string(), s.first, s.last, s.why));

  uint64_t total = 0;
  for (const replay::Segment& s : stretches->segments) total += s.last - s.first + 1;
  const uint64_t target = size.count ? std::max<uint64_t>(1, (total + size.count - 1) / size.count) : size.cls;
  std::vector<std::pair<uint64_t, uint64_t>> pieces;
  for (const replay::Segment& s : stretches->segments)
    for (const auto& piece : cut_at_keyframes(s.first, s.last, log.shape.keyframes, target)) pieces.push_back(piece);

  std::error_code ignored;
  const uint64_t log_size = std::filesystem::file_size(path, ignored);
  std::vector<Job> jobs;
  for (size_t i = 0; i < pieces.size(); ++i) {
    Job job;
    job.log = path.string();
    job.run_id = log.run_id;
    job.log_size = log_size;
    job.segment = i;
    job.segments = pieces.size();
    job.from = pieces[i].first;
    job.to = pieces[i].second;
    job.open_end = i + 1 == pieces.size();
    if (std::binary_search(log.shape.keyframes.begin(), log.shape.keyframes.end(), job.from) && job.from != 0)
      job.start_keyframe = job.from;
    job.compared = job.to - job.from + 1;
    job.cost_ns = cost_of(log, job.from, job.to);
    job.notes = notes;
    job.skipped = stretches->skipped;
    jobs.push_back(std::move(job));
  }
  return jobs;
}

// The logs a path names: itself, or every *.copper below a directory.
Result<std::vector<std::filesystem::path>> logs_at(const std::filesystem::path& path) {
  std::error_code error;
  if (!std::filesystem::is_directory(path, error)) {
    if (!std::filesystem::is_regular_file(path, error)) return fail("{}: no such log or directory", path.string());
    return std::vector<std::filesystem::path>{path};
  }
  std::vector<std::filesystem::path> logs;
  for (auto it = std::filesystem::recursive_directory_iterator(path, error);
       !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error))
    if (it->path().extension() == ".copper" && it->is_regular_file(error)) logs.push_back(it->path());
  if (error) return fail("{}: cannot walk the directory: {}", path.string(), error.message());
  std::sort(logs.begin(), logs.end());
  if (logs.empty()) return fail("{}: no *.copper log in this directory", path.string());
  return logs;
}

std::string plan_id(const std::vector<Job>& jobs) {
  std::string text;
  for (const Job& job : jobs) text += to_json(job).dump() + "\n";
  return fmt::format("{:016x}", XXH3_64bits(text.data(), text.size()));
}

}  // namespace

nlohmann::json skipped_json(const std::vector<SkippedRange>& skipped) {
  nlohmann::json out = nlohmann::json::array();
  for (const SkippedRange& s : skipped) out.push_back({{"first", s.first}, {"last", s.last}, {"why", s.why}});
  return out;
}

nlohmann::json to_json(const Job& job) {
  return {{"copper_replay_job", kJobFormat},
          {"plan", job.plan},
          {"index", job.index},
          {"jobs", job.jobs},
          {"log", job.log},
          {"run_id", job.run_id},
          {"log_size", job.log_size},
          {"segment", job.segment},
          {"segments", job.segments},
          {"from", job.from},
          {"to", job.to},
          {"open_end", job.open_end},
          {"start_keyframe", job.start_keyframe ? nlohmann::json(*job.start_keyframe) : nlohmann::json(nullptr)},
          {"compared", job.compared},
          {"cost_ns", job.cost_ns},
          {"notes", job.notes},
          {"skipped", skipped_json(job.skipped)}};
}

Result<Job> job_from_json(const nlohmann::json& line) {
  if (!line.is_object() || line.value("copper_replay_job", 0) != kJobFormat)
    return fail("not a copper-replay job (no \"copper_replay_job\": {})", kJobFormat);
  Job job;
  Status status;
  auto take = [&](auto& into, const char* name) {
    using T = std::decay_t<decltype(into)>;
    if (!status.ok()) return;
    auto value = field<T>(line, name);
    if (value)
      into = std::move(*value);
    else
      status = value.status();
  };
  take(job.plan, "plan");
  take(job.index, "index");
  take(job.jobs, "jobs");
  take(job.log, "log");
  take(job.run_id, "run_id");
  take(job.log_size, "log_size");
  take(job.segment, "segment");
  take(job.segments, "segments");
  take(job.from, "from");
  take(job.to, "to");
  take(job.open_end, "open_end");
  take(job.compared, "compared");
  take(job.cost_ns, "cost_ns");
  if (!status.ok()) return status;
  if (job.to < job.from) return fail("field \"to\" ({}) is before \"from\" ({})", job.to, job.from);
  const nlohmann::json keyframe = line.value("start_keyframe", nlohmann::json());
  if (keyframe.is_number_unsigned()) job.start_keyframe = keyframe.get<uint64_t>();
  for (const auto& note : line.value("notes", nlohmann::json::array()))
    if (note.is_string()) job.notes.push_back(note.get<std::string>());
  for (const auto& s : line.value("skipped", nlohmann::json::array()))
    if (s.is_object())
      job.skipped.push_back({s.value("first", uint64_t{0}), s.value("last", uint64_t{0}), s.value("why", "")});
  return job;
}

std::vector<std::pair<uint64_t, uint64_t>> cut_at_keyframes(uint64_t first, uint64_t last,
                                                            const std::vector<uint64_t>& keyframes, uint64_t target) {
  std::vector<std::pair<uint64_t, uint64_t>> pieces;
  target = std::max<uint64_t>(target, 1);
  uint64_t start = first;
  while (last - start >= target) {
    // The keyframe in (start, last] nearest start + target.
    const uint64_t wanted = start + target;
    const auto above = std::lower_bound(keyframes.begin(), keyframes.end(), wanted);
    std::optional<uint64_t> cut;
    if (above != keyframes.end() && *above <= last) cut = *above;
    if (above != keyframes.begin() && *(above - 1) > start && (!cut || wanted - *(above - 1) < *cut - wanted))
      cut = *(above - 1);
    if (!cut) break;
    pieces.emplace_back(start, *cut - 1);
    start = *cut;
  }
  pieces.emplace_back(start, last);
  return pieces;
}

Result<Plan> plan_logs(const std::vector<std::string>& paths, const SegmentSize& size) {
  Plan plan;
  for (const std::string& path : paths) {
    auto logs = logs_at(path);
    if (!logs) return logs.status();
    for (const auto& log : *logs) {
      std::error_code ignored;
      const std::filesystem::path absolute = std::filesystem::absolute(log, ignored).lexically_normal();
      auto jobs = plan_log(absolute, size, plan.warnings);
      if (!jobs) return jobs.status();
      for (Job& job : *jobs) plan.jobs.push_back(std::move(job));
    }
  }
  for (size_t i = 0; i < plan.jobs.size(); ++i) {
    plan.jobs[i].index = i;
    plan.jobs[i].jobs = plan.jobs.size();
  }
  const std::string id = plan_id(plan.jobs);
  for (Job& job : plan.jobs) job.plan = id;
  return plan;
}

std::string jobs_text(const Plan& plan) {
  std::string text;
  for (const Job& job : plan.jobs)
    text += to_json(job).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  return text;
}

Result<std::vector<Job>> read_jobs(const std::filesystem::path& path) {
  auto text = detail::read_input_file(path, "jobs file", uint64_t{1} << 30);
  if (!text) return fail(text.status().code(), "{}: {}", path.string(), text.error_message());
  std::vector<Job> jobs;
  size_t line_number = 0;
  for (size_t begin = 0; begin < text->size();) {
    size_t end = text->find('\n', begin);
    if (end == std::string::npos) end = text->size();
    const std::string_view line(text->data() + begin, end - begin);
    begin = end + 1;
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    auto parsed = detail::parse_json_bounded(line, "a jobs-file line");
    if (!parsed) return fail("{} line {}: {}", path.string(), line_number, parsed.error_message());
    auto job = job_from_json(*parsed);
    if (!job) return fail("{} line {}: {}", path.string(), line_number, job.error_message());
    if (job->index != jobs.size() ||
        (!jobs.empty() && (job->plan != jobs.front().plan || job->jobs != jobs.front().jobs)))
      return fail("{} line {}: job {} of plan {} does not follow job {} of plan {}: not one plan's jobs file",
                  path.string(), line_number, job->index, job->plan, jobs.size(),
                  jobs.empty() ? "" : jobs.front().plan);
    jobs.push_back(std::move(*job));
  }
  if (jobs.empty()) return fail("{}: no job in the file: not a jobs file", path.string());
  if (jobs.size() != jobs.front().jobs)
    return fail("{}: holds {} jobs of the {} its plan has: the file was cut", path.string(), jobs.size(),
                jobs.front().jobs);
  return jobs;
}

Status check_log_unchanged(const Job& job) {
  std::error_code error;
  const uint64_t size = std::filesystem::file_size(job.log, error);
  if (error) return fail("{}: cannot read the planned log: {}", job.log, error.message());
  auto reader = log::LogReader::open(job.log);
  if (!reader) return fail("{}: {}", job.log, reader.error_message());
  if (reader->header().run_id_hex != job.run_id)
    return fail("{}: the log changed since planning: run id {}, planned {}: plan again", job.log,
                reader->header().run_id_hex, job.run_id);
  if (size != job.log_size)
    return fail("{}: the log changed since planning: {} bytes, planned {}: plan again", job.log, size, job.log_size);
  return {};
}

Result<uint64_t> job_index_from_environment() {
  for (const char* name : {"SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX", "AWS_BATCH_JOB_ARRAY_INDEX"}) {
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0') continue;
    const std::string text(value);
    if (text.find_first_not_of("0123456789") != std::string::npos || text.size() > 19)
      return fail("${}={} is not a job index", name, text);
    return std::stoull(text);
  }
  return fail(
      "no --job-index, and none of SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX, AWS_BATCH_JOB_ARRAY_INDEX is set");
}

}  // namespace copper::fleet
