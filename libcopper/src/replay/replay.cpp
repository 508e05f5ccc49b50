#include "copper/replay.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "../output_file.hpp"
#include "../text_util.hpp"
#include "compare.hpp"
#include "copper/log/reader.hpp"
#include "copper/log/writer.hpp"
#include "recorded.hpp"
#include "schema_change.hpp"
#include "segments.hpp"

namespace copper {

using detail::fail;

namespace {

// Message values come from a log or a task: a string field may hold any
// bytes, which nlohmann's default dump refuses (it throws on bad UTF-8).
std::string value_text(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

std::string Divergence::describe() const {
  const std::string field = field_path.empty() ? "the whole message" : "field " + field_path;
  std::string text = fmt::format("copperlist {}, task \"{}\", {}: recorded {}, replayed {}", cl_id, task_id, field,
                                 value_text(recorded), value_text(replayed));
  for (size_t i = 1; i < fields.size(); ++i)
    text += fmt::format("{} {}: recorded {}, replayed {}", i == 1 ? "; also" : ";", fields[i].path,
                        value_text(fields[i].left), value_text(fields[i].right));
  if (field_count > fields.size())
    text += fmt::format(" (and {} more field{})", field_count - fields.size(), field_count - fields.size() > 1 ? "s" : "");
  return text;
}

double RunTiming::cls_per_second() const {
  return wall_time > 0 ? static_cast<double>(copperlists) * 1e9 / static_cast<double>(wall_time) : 0.0;
}

struct Replay::Impl {
  std::filesystem::path path;
  // Kept open for every run: open() has verified the whole file through this
  // mapping, so its pages are already mapped when a run reads them (first
  // touches of a fresh mapping cost microseconds a page on shadow-paged VMs).
  std::unique_ptr<log::LogReader> mapped_log;
  Config config;
  Registry registry;  // with recorded sources
  std::vector<nlohmann::json> slot_schemas;
  std::vector<std::string> task_ids;
  std::vector<std::string> damage;
  ReplayOpenOptions open_options;
  std::vector<std::optional<replay::SlotMigration>> migrations;  // by slot: set when its type changed
  std::vector<std::string> schema_changes;
  std::optional<uint64_t> first_cl, last_cl, first_missing;
  std::vector<std::pair<uint64_t, uint64_t>> missing;  // id ranges absent between present ones
  // The intact keyframes, ascending, and the tasks each holds a state for.
  std::vector<std::pair<uint64_t, std::vector<uint32_t>>> keyframes;
  std::optional<log::RecordedFailure> failure;  // the copperlist the recording failed on
  uint64_t keyframe_interval = 0;
  bool closed = false;  // the log ends with its footer
  RunTiming recorded;

  Status load(log::LogReader& reader, const Registry& known);
  Status check_slots(const Graph& graph, const nlohmann::json& recorded_slots);
  Status accept_schema_change(size_t slot, const nlohmann::json& recorded_schema, const MessageType& type,
                              const std::string& producer);
  std::vector<const replay::SlotMigration*> migration_table() const;
  void survey(log::LogReader& reader);
  Status check_range(const ReplayOptions& options) const;
  std::string cut_short_note() const;
  Result<replay::SegmentPlan> plan(const Graph& graph, const ReplayOptions& options) const;
  Status thaw_keyframe(Graph& graph, uint64_t keyframe_id);
  Status run_segment(const replay::Segment& segment, const ReplayOptions& options, bool last, log::LogWriter* writer,
                     ReplayOutcome& outcome);
  const log::RecordedFailure* failure_to_feed(const Graph& graph, ReplayOutcome& outcome) const;
  void judge_failure(ReplayOutcome& outcome, std::optional<uint64_t> to) const;
};

// The config as it ran, the task types this binary must know, and the
// recorded slot layout this binary must reproduce.
Status Replay::Impl::load(log::LogReader& reader, const Registry& known) {
  const nlohmann::json& metadata = reader.metadata();
  if (!metadata.is_object() || !metadata.contains("config") || !metadata.contains("slots"))
    return fail("{}: the metadata record is missing or damaged: the graph cannot be rebuilt", path.string());
  Diagnostics diags;
  auto parsed = parse_config(metadata["config"].dump(), diags);
  if (!parsed) return fail("{}: the embedded config does not parse: {}", path.string(), diags.to_string());
  config = std::move(*parsed);
  std::vector<std::string> unknown;
  for (const TaskConfig& task : config.tasks)
    if (known.find(task.type) == nullptr && std::find(unknown.begin(), unknown.end(), task.type) == unknown.end())
      unknown.push_back(task.type);
  if (!unknown.empty())
    return fail("{}: this program does not know the task type{} {} (--list-types shows the ones it knows; load the "
                "task library that defines them with --plugin PATH)",
                path.string(), unknown.size() > 1 ? "s" : "", detail::join(unknown, ", "));
  registry = replay::with_recorded_sources(known);
  diags = Diagnostics();
  auto graph = Graph::build(config, registry, diags);
  if (!graph) return fail("{}: the embedded graph does not build here: {}", path.string(), diags.to_string());
  for (const TaskNode& node : graph->tasks()) task_ids.push_back(node.id);
  keyframe_interval = metadata.value("logging", nlohmann::json::object()).value("keyframe_interval", uint64_t{0});
  return check_slots(*graph, metadata["slots"]);
}

Status Replay::Impl::check_slots(const Graph& graph, const nlohmann::json& recorded_slots) {
  if (!recorded_slots.is_array() || recorded_slots.size() != graph.slots().size())
    return fail("{}: the log has {} message slots, the rebuilt graph {}", path.string(),
                recorded_slots.is_array() ? recorded_slots.size() : 0, graph.slots().size());
  for (size_t i = 0; i < graph.slots().size(); ++i) {
    const SlotInfo& slot = graph.slots()[i];
    const nlohmann::json& was = recorded_slots[i];
    const std::string producer = graph.tasks()[slot.producer].id;
    const std::string hash = fmt::format("{:016x}", slot.type->schema_hash);
    if (was.value("producer", "") != producer || was.value("type", "") != slot.type->name)
      return fail("{}: slot {} was {} of \"{}\" when recorded, here {} of \"{}\"", path.string(), i,
                  was.value("type", "?"), was.value("producer", "?"), slot.type->name, producer);
    if (was.value("schema_hash", "") != hash) {
      Status accepted = accept_schema_change(i, was.value("schema", nlohmann::json()), *slot.type, producer);
      if (!accepted.ok()) return accepted;
    }
  }
  return {};
}

// A slot whose message type changed: refused, saying how, unless asked to
// compare the fields both schemas share.
Status Replay::Impl::accept_schema_change(size_t slot, const nlohmann::json& recorded_schema, const MessageType& type,
                                          const std::string& producer) {
  const replay::SchemaDifference difference = replay::diff_schemas(recorded_schema, type.schema);
  if (!open_options.allow_schema_change)
    return fail("{}: message type {} (output of \"{}\") has changed since the recording: {}; replay with "
                "--allow-schema-change to compare the fields both versions share",
                path.string(), type.name, producer, difference.describe());
  auto migration = replay::SlotMigration::make(recorded_schema, type);
  if (!migration) return fail("{}: the recorded schema of slot {} is unusable: {}", path.string(), slot, migration.error_message());
  migrations.resize(slot + 1);
  migrations[slot] = std::move(*migration);
  schema_changes.push_back(fmt::format("message type {} (output of \"{}\") changed since the recording: {}; comparing "
                                       "the {} field{} both versions share",
                                       type.name, producer, difference.describe(), difference.shared,
                                       difference.shared == 1 ? "" : "s"));
  return {};
}

std::vector<const replay::SlotMigration*> Replay::Impl::migration_table() const {
  std::vector<const replay::SlotMigration*> table;
  for (const auto& migration : migrations) table.push_back(migration ? &*migration : nullptr);
  return table;
}

// The recording's timing over copperlists [from, to]; its wall time spans
// the first task start to the last task end there.
static RunTiming recorded_figures(log::LogReader& reader, size_t tasks, uint64_t from, uint64_t to) {
  RunTiming timing;
  timing.tasks.resize(tasks);
  Nanos first_start = INT64_MAX, last_end = INT64_MIN;
  reader.for_each_copperlist(
      [&](const log::CopperListView& cl) {
        if (cl.id > to) return false;
        if (cl.id < from) return true;
        replay::add_timing(timing, cl.tasks.size(), [&](size_t task) {
          const log::TaskTiming& t = cl.tasks[task];
          return TaskSpan{t.start_ns, t.end_ns, t.status == TaskStatus::ok};
        });
        for (const log::TaskTiming& t : cl.tasks) {
          if (t.status != TaskStatus::ok) continue;
          first_start = std::min(first_start, t.start_ns);
          last_end = std::max(last_end, t.end_ns);
        }
        return true;
      },
      from);
  if (first_start <= last_end) timing.wall_time = elapsed(first_start, last_end);
  return timing;
}

// Damage, the range of ids, the first gap, and the recording's timing.
void Replay::Impl::survey(log::LogReader& reader) {
  const log::CheckReport& check = reader.check();
  for (const log::Damage& d : check.damage)
    damage.push_back(fmt::format("offset {}, {} bytes: {}", d.offset, d.length, d.reason));
  first_cl = check.first_cl_id;
  last_cl = check.last_cl_id;
  failure = check.failure;
  missing = check.missing_cls;
  if (!missing.empty()) first_missing = missing.front().first;
  reader.for_each_keyframe([&](const log::Keyframe& keyframe) {
    std::vector<uint32_t> tasks;
    for (const auto& state : keyframe.states)
      if (!state.state.empty()) tasks.push_back(state.task_index);
    keyframes.emplace_back(keyframe.cl_id, std::move(tasks));
    return true;
  });
  std::sort(keyframes.begin(), keyframes.end());
  closed = reader.has_footer();
  recorded.tasks.resize(task_ids.size());
  if (!open_options.whole_log_timing) return;
  recorded = recorded_figures(reader, task_ids.size(), 0, UINT64_MAX);
  const Nanos spanned = recorded.wall_time;
  const nlohmann::json& summary = reader.summary();
  recorded.wall_time =
      summary.is_object() && summary.contains("wall_time_ns") ? summary["wall_time_ns"].get<Nanos>() : spanned;
}

Result<Replay> Replay::open(const std::filesystem::path& log, const Registry& registry,
                            const ReplayOpenOptions& options) {
  auto reader = log::LogReader::open(log);
  if (!reader) return reader.status();
  auto impl = std::make_unique<Impl>();
  impl->path = log;
  impl->open_options = options;
  // The metadata and summary are the log's word, checksummed but not
  // trusted: a value of the wrong type there is a damaged log, not a crash.
  try {
    if (Status status = impl->load(*reader, registry); !status.ok()) return status;
    for (const auto& slot : reader->metadata()["slots"])
      impl->slot_schemas.push_back(slot.value("schema", nlohmann::json()));
    impl->survey(*reader);
  } catch (const nlohmann::json::exception& error) {
    return fail(StatusCode::corruption, "{}: the metadata or summary does not describe a recording: {}", log.string(),
                error.what());
  }
  impl->mapped_log = std::make_unique<log::LogReader>(std::move(*reader));
  return Replay(std::move(impl));
}

Replay::Replay(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Replay::Replay(Replay&&) noexcept = default;
Replay& Replay::operator=(Replay&&) noexcept = default;
Replay::~Replay() = default;

const RunTiming& Replay::recorded_timing() const { return impl_->recorded; }
RunTiming Replay::recorded_timing(uint64_t from, uint64_t to) const {
  return recorded_figures(*impl_->mapped_log, impl_->task_ids.size(), from, to);
}

const std::vector<std::string>& Replay::task_ids() const { return impl_->task_ids; }
const std::vector<std::string>& Replay::damage() const { return impl_->damage; }
const std::vector<std::string>& Replay::schema_changes() const { return impl_->schema_changes; }
std::optional<uint64_t> Replay::first_cl() const { return impl_->first_cl; }
std::optional<uint64_t> Replay::last_cl() const { return impl_->last_cl; }
std::optional<uint64_t> Replay::first_missing_cl() const { return impl_->first_missing; }

// A range that misses the log's copperlists would compare nothing and pass.
Status Replay::Impl::check_range(const ReplayOptions& options) const {
  if (!first_cl || !last_cl) return {};  // an empty log: the run says the log ends
  if (options.from && *options.from > *last_cl)
    return fail("{}: copperlist {} (from) is past the log's last one, {}: nothing would be compared", path.string(),
                *options.from, *last_cl);
  if (options.to && *options.to < *first_cl)
    return fail("{}: copperlist {} (to) is before the log's first one, {}: nothing would be replayed", path.string(),
                *options.to, *first_cl);
  return {};
}

// For a replay that reached the log's last copperlist: empty when that is
// where the recording ended, else why it may have gone on.
std::string Replay::Impl::cut_short_note() const {
  if (!damage.empty())
    return fmt::format("copperlist {} is the last intact one; the log is damaged ({} range{}), so the recording may "
                       "have gone on past it",
                       *last_cl, damage.size(), damage.size() > 1 ? "s" : "");
  if (!closed)
    return fmt::format("copperlist {} is the last one in the log; the log was not closed (its recorder stopped "
                       "before closing it), so the recording may have gone on past it",
                       *last_cl);
  return "";
}

// The copperlist the recording failed on, to admit after the last
// committed one; null when there is none, or when a source failed (replay
// does not run sources, so that failure cannot happen again: said in the
// outcome's failure_note).
const log::RecordedFailure* Replay::Impl::failure_to_feed(const Graph& graph, ReplayOutcome& outcome) const {
  if (!failure) return nullptr;
  const TaskNode* failed = graph.find(failure->task_id);
  if (failed != nullptr && failed->type->kind == TaskKind::source) {
    outcome.failure_note = fmt::format("the recording stopped because a source failed ({}); a replay feeds recorded "
                                       "source outputs and cannot run it again",
                                       failure->describe());
    return nullptr;
  }
  return &*failure;
}

// Whether the replay, asked to go as far as the copperlist the recording
// failed on, failed there the same way.
void Replay::Impl::judge_failure(ReplayOutcome& outcome, std::optional<uint64_t> to) const {
  if (!failure || !outcome.failure_note.empty() || (to && *to < failure->cl_id)) return;
  const auto& failed = outcome.run.failure;
  outcome.recorded_failure = TaskFailure{failure->task_id, failure->cl_id, failure->phase, failure->message};
  outcome.failure_reproduced = failed && failed->task_id == failure->task_id && failed->cl_id == failure->cl_id &&
                               failed->phase == failure->phase && failed->message == failure->message;
}

// A task whose state a replay must restore to start mid-log.
static bool keeps_state(const TaskNode& node) { return node.type->kind != TaskKind::source && !node.stateless(); }

// Why the keyframe at `id`, holding states for `tasks`, cannot restore
// every stateful task; empty when it can.
static std::string keyframe_lacks(const Graph& graph, uint64_t id, const std::vector<uint32_t>& tasks) {
  for (const TaskNode& node : graph.tasks())
    if (keeps_state(node) && std::find(tasks.begin(), tasks.end(), node.index) == tasks.end())
      return fmt::format(
          "task \"{}\" ({}) has no state in the keyframe at copperlist {}: it does not support "
          "freeze/thaw",
          node.id, node.type->name, id);
  return "";
}

// The stretches of the log this replay runs (segments.hpp): from the
// start of the recording or a keyframe, never across missing copperlists.
Result<replay::SegmentPlan> Replay::Impl::plan(const Graph& graph, const ReplayOptions& options) const {
  replay::LogShape shape;
  if (first_cl && last_cl) shape.present = replay::present_ranges(*first_cl, *last_cl, missing);
  for (const auto& [id, tasks] : keyframes) {
    const std::string lacking = keyframe_lacks(graph, id, tasks);
    if (lacking.empty())
      shape.keyframes.push_back(id);
    else
      shape.unusable_keyframes.emplace_back(id, lacking);
  }
  shape.stateful = std::any_of(graph.tasks().begin(), graph.tasks().end(), keeps_state);
  auto planned = replay::plan_segments(shape, options.from, options.to);
  if (!planned) return fail("{}: {}", path.string(), planned.error_message());
  return planned;
}

// Puts every stateful task in its state before copperlist `keyframe_id`,
// from the keyframe tagged with it.
Status Replay::Impl::thaw_keyframe(Graph& graph, uint64_t keyframe_id) {
  std::vector<std::pair<uint32_t, std::vector<uint8_t>>> states;
  mapped_log->for_each_keyframe([&](const log::Keyframe& keyframe) {
    if (keyframe.cl_id != keyframe_id) return keyframe.cl_id < keyframe_id;
    for (const auto& state : keyframe.states)
      states.emplace_back(state.task_index, std::vector<uint8_t>(state.state.begin(), state.state.end()));
    return false;
  });
  for (TaskNode& node : graph.tasks()) {
    if (!keeps_state(node)) continue;
    auto state = std::find_if(states.begin(), states.end(), [&](const auto& s) { return s.first == node.index; });
    if (state == states.end())
      return fail("task \"{}\": no state in the keyframe at copperlist {}", node.id, keyframe_id);
    Status thawed = node.impl->thaw(state->second);
    if (!thawed.ok())
      return fail("task \"{}\" could not thaw its state from the keyframe at copperlist {}: {}", node.id, keyframe_id,
                  thawed.message());
  }
  return {};
}

// Folds one segment's executor report into the replay's.
static void add_run(RunReport& total, const RunReport& segment) {
  total.committed += segment.committed;
  total.reason = segment.reason;
  total.failure = segment.failure;
  total.stop_failures.insert(total.stop_failures.end(), segment.stop_failures.begin(), segment.stop_failures.end());
  total.wall_time += segment.wall_time;
}

// One executor run over a segment, on a fresh graph: the comparer folds
// its copperlists into `outcome`. The last segment runs on to `to` or the
// end of the log (and feeds a recorded failure), so the outcome says why
// the input ended.
Status Replay::Impl::run_segment(const replay::Segment& segment, const ReplayOptions& options, bool last,
                                 log::LogWriter* writer, ReplayOutcome& outcome) {
  Diagnostics diags;
  auto graph = Graph::build(config, registry, diags);
  if (!graph) return fail("{}: the embedded graph does not build here: {}", path.string(), diags.to_string());
  if (segment.thaw)
    if (Status thawed = thaw_keyframe(*graph, segment.first); !thawed) return thawed;
  const size_t in_flight =
      options.mode == RunMode::parallel ? std::max<uint32_t>(options.parallel.max_in_flight, 1) : 1;
  replay::RecordedFrames frames(in_flight, graph->slots().size(), graph->tasks().size(), migration_table());
  replay::bind_to_frames(*graph, frames);
  const std::optional<uint64_t> to = last ? options.to : std::optional<uint64_t>(segment.last);
  replay::LogFeed feed(*mapped_log, segment.first, to, frames, last ? failure_to_feed(*graph, outcome) : nullptr);
  replay::Comparer comparer(*graph, frames, slot_schemas, options.from.value_or(0), outcome);
  CommitFanout sinks;
  sinks.add(&comparer);
  if (options.observer != nullptr) sinks.add(options.observer);
  if (writer != nullptr) sinks.add(writer);

  ManualClock clock(0);  // only stamps start/stop calls: copperlist times come from the feed
  RuntimeConfig runtime;
  runtime.mode = options.mode;
  runtime.max_in_flight = static_cast<uint32_t>(in_flight);
  runtime.threads = options.parallel.threads;
  auto executor = make_executor(*graph, clock, runtime);
  executor->set_admission_feed(&feed);
  executor->set_keyframe_interval(writer ? keyframe_interval : 0);
  StopConditions stop;
  stop.first_cl = segment.first;
  const RunReport report = executor->run(stop, &sinks);
  add_run(outcome.run, report);
  if (last || !report.ok()) outcome.input_end = feed.ended_because();
  return {};
}

// The replay's own log (-o): written aside and renamed into place when
// closed (output_file.hpp), so a failed replay leaves no half log.
static Status open_output(const ReplayOptions& options, const Graph& graph, std::optional<OutputFile>& output,
                          std::unique_ptr<log::LogWriter>& writer) {
  auto created_output =
      OutputFile::create(options.output, options.overwrite_output ? Overwrite::allow : Overwrite::refuse);
  if (!created_output) return created_output.status();
  output = std::move(*created_output);
  log::WriterOptions writer_options;
  writer_options.path = output->temporary();
  writer_options.overwrite = true;  // the empty temporary OutputFile made
  auto created = log::LogWriter::create(writer_options, graph);
  if (!created) return created.status();
  writer = std::move(created.value());
  return {};
}

Result<ReplayOutcome> Replay::run(const ReplayOptions& options) {
  Impl& impl = *impl_;
  Diagnostics diags;
  auto graph = Graph::build(impl.config, impl.registry, diags);
  if (!graph) return fail("{}: the embedded graph does not build here: {}", impl.path.string(), diags.to_string());
  if (Status range = impl.check_range(options); !range.ok()) return range;
  auto plan = impl.plan(*graph, options);
  if (!plan) return plan.status();
  ReplayOutcome outcome;
  outcome.skipped = plan->skipped;
  if (plan->segments.empty()) {
    if (impl.first_cl)  // every copperlist asked for is missing
      return fail("{}: the log holds no copperlist from {} to {}: nothing would be compared", impl.path.string(),
                  options.from.value_or(0), options.to ? fmt::format("{}", *options.to) : std::string("its end"));
    plan->segments.push_back({0, 0, false});  // an empty log: the run says the log ends
  }
  if (plan->segments.front().thaw) outcome.started_at = plan->segments.front().first;

  std::optional<OutputFile> output;
  std::unique_ptr<log::LogWriter> writer;
  if (!options.output.empty())
    if (Status opened = open_output(options, *graph, output, writer); !opened) return opened;

  uint64_t last_replayed = 0;
  for (size_t i = 0; i < plan->segments.size(); ++i) {
    const replay::Segment& segment = plan->segments[i];
    const uint64_t before = outcome.replayed;
    const bool last = i + 1 == plan->segments.size();
    if (Status ran = impl.run_segment(segment, options, last, writer.get(), outcome); !ran) return ran;
    if (outcome.replayed > before) {
      last_replayed = segment.first + (outcome.replayed - before) - 1;
      outcome.replayed_ranges.emplace_back(segment.first, last_replayed);
    }
    if (!outcome.run.ok() || outcome.run.reason == StopReason::stop_requested) break;
  }
  outcome.timing.wall_time = outcome.run.wall_time;
  impl.judge_failure(outcome, options.to);
  // Running out of an undamaged log at its last copperlist is the normal
  // end, not news; in a damaged one the recording may have gone on past it.
  const bool at_last = outcome.replayed > 0 && impl.last_cl && last_replayed == *impl.last_cl;
  if (at_last) outcome.input_end = options.to && *options.to <= *impl.last_cl ? "" : impl.cut_short_note();
  if (writer) {
    Status closed = writer->close(to_string(outcome.run.reason));
    if (!closed.ok()) return closed;
    if (Status committed = output->commit(); !committed.ok()) return committed;
  }
  return outcome;
}

}  // namespace copper
