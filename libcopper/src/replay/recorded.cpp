#include "recorded.hpp"

#include <fmt/format.h>

#include "../xxhash_dispatch.hpp"
#include "schema_change.hpp"

namespace copper::replay {

RecordedFrames::RecordedFrames(size_t capacity, size_t slots, size_t tasks, std::vector<const SlotMigration*> migrations)
    : frames_(capacity), migrations_(std::move(migrations)) {
  migrations_.resize(slots, nullptr);
  for (RecordedFrame& frame : frames_) {
    frame.recorded.resize(slots);
    frame.copies.resize(slots);
    frame.time_of_validity.resize(slots);
    frame.tasks.resize(tasks);
    frame.checks.resize(slots);
    frame.outputs.resize(slots);
    frame.encodings.resize(slots);
  }
}

LogFeed::LogFeed(log::LogReader& reader, uint64_t first, std::optional<uint64_t> to, RecordedFrames& frames,
                 const log::RecordedFailure* failure)
    : cursor_(reader.copperlists(first)), failure_(failure), to_(to), frames_(frames) {
  if (failure_ == nullptr) return;
  for (size_t slot = 0; slot < failure_->slots.size(); ++slot)
    failure_slots_.push_back({failure_->time_of_validity[slot], failure_->slots[slot]});
}

bool LogFeed::admit(CopperList& cl) {
  if (to_ && cl.id > *to_) return false;
  const log::CopperListView* recorded = cursor_.next();
  if (recorded == nullptr) {
    if (failure_ != nullptr && failure_->cl_id == cl.id) return admit_failure(cl);
    ended_because_ = fmt::format("the log ends{}", after_last_admitted());
    return false;
  }
  if (recorded->id != cl.id) {
    ended_because_ = fmt::format("the log has no copperlist {} (the next one it holds is {}): replay stops{}", cl.id,
                                 recorded->id, after_last_admitted());
    return false;
  }
  fill_frame(cl, *recorded, cursor_.last_in_mapping());
  return true;
}

// The copperlist the recording failed on, from its failure record: its
// bytes live as long as the replay, like mapped ones.
bool LogFeed::admit_failure(CopperList& cl) {
  log::CopperListView view;
  view.id = failure_->cl_id;
  view.time_ns = failure_->time_ns;
  view.tasks = failure_->tasks;
  view.slots = failure_slots_;
  fill_frame(cl, view, true);
  return true;
}

void LogFeed::fill_frame(CopperList& cl, const log::CopperListView& recorded, bool mapped) {
  RecordedFrame& frame = frames_.at(cl.id);
  frame.id = recorded.id;
  frame.time = recorded.time_ns;
  for (size_t slot = 0; slot < frame.recorded.size() && slot < recorded.slots.size(); ++slot) {
    const std::span<const uint8_t> bytes = recorded.slots[slot].bytes;
    if (mapped) {
      frame.recorded[slot] = bytes;
    } else {
      frame.copies[slot].assign(bytes.begin(), bytes.end());
      frame.recorded[slot] = frame.copies[slot];
    }
    frame.time_of_validity[slot] = recorded.slots[slot].time_of_validity_ns;
    frame.checks[slot] = SlotCheck{};
  }
  for (size_t task = 0; task < frame.tasks.size() && task < recorded.tasks.size(); ++task)
    frame.tasks[task] = recorded.tasks[task];
  cl.time = recorded.time_ns;
  for (uint32_t slot = 0; slot < cl.slot_count(); ++slot) cl.time_of_validity(slot) = cl.time;
  last_admitted_ = cl.id;
}

std::string LogFeed::after_last_admitted() const {
  return last_admitted_ ? fmt::format(" after copperlist {}", *last_admitted_) : "";
}

Status RecordedSource::run(const Context& ctx, const void* const*, void* output) {
  RecordedFrame& frame = frames_->at(ctx.cl_id());
  ctx.set_time_of_validity(frame.time_of_validity[slot_]);
  const std::span<const uint8_t> bytes = frame.recorded[slot_];
  frame.checks[slot_] = SlotCheck{0, true};
  if (const SlotMigration* migration = frames_->migration(slot_)) return migration->rebuild(bytes, output);
  return type_->decode(bytes, output);
}

namespace {

std::unique_ptr<TaskBase> create_recorded_source(Params& params) {
  params.ignore_all();  // the recorded source's own parameters do not apply
  return std::make_unique<RecordedSource>();
}

}  // namespace

Registry with_recorded_sources(const Registry& registry) {
  Registry replaced;
  for (const std::string& name : registry.names()) {
    TaskType type = *registry.find(name);
    if (type.kind == TaskKind::source) {
      type.stateless = true;
      type.hooks = false;
      type.create = create_recorded_source;
    } else if (type.output != nullptr) {
      type.hooks = true;  // wrapped in a CheckedTask, which checks in postprocess()
    }
    (void)replaced.add(std::move(type));  // names from a registry: never taken twice
  }
  return replaced;
}

}  // namespace copper::replay
