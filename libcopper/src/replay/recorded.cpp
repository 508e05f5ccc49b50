#include "recorded.hpp"

#include <fmt/format.h>

namespace copper::replay {

RecordedFrames::RecordedFrames(size_t capacity, size_t slots, size_t tasks) : frames_(capacity) {
  for (RecordedFrame& frame : frames_) {
    frame.slot_bytes.resize(slots);
    frame.time_of_validity.resize(slots);
    frame.tasks.resize(tasks);
  }
}

LogFeed::LogFeed(log::LogReader reader, uint64_t first, std::optional<uint64_t> to, RecordedFrames& frames)
    : reader_(std::move(reader)), cursor_(reader_.copperlists(first)), to_(to), frames_(frames) {}

bool LogFeed::admit(CopperList& cl) {
  if (to_ && cl.id > *to_) return false;
  const log::CopperListView* recorded = cursor_.next();
  const std::string after = last_admitted_ ? fmt::format(" after copperlist {}", *last_admitted_) : "";
  if (recorded == nullptr) {
    ended_because_ = fmt::format("the log ends{}", after);
    return false;
  }
  if (recorded->id != cl.id) {
    ended_because_ = fmt::format("the log has no copperlist {} (the next one it holds is {}): replay stops{}", cl.id,
                                 recorded->id, after);
    return false;
  }
  RecordedFrame& frame = frames_.at(cl.id);
  frame.id = recorded->id;
  frame.time = recorded->time_ns;
  for (size_t slot = 0; slot < frame.slot_bytes.size() && slot < recorded->slots.size(); ++slot) {
    frame.slot_bytes[slot].assign(recorded->slots[slot].bytes.begin(), recorded->slots[slot].bytes.end());
    frame.time_of_validity[slot] = recorded->slots[slot].time_of_validity_ns;
  }
  for (size_t task = 0; task < frame.tasks.size() && task < recorded->tasks.size(); ++task)
    frame.tasks[task] = recorded->tasks[task];
  cl.time = recorded->time_ns;
  for (uint32_t slot = 0; slot < cl.slot_count(); ++slot) cl.time_of_validity(slot) = cl.time;
  last_admitted_ = cl.id;
  return true;
}

Status RecordedSource::run(const Context& ctx, const void* const*, void* output) {
  const RecordedFrame& frame = frames_->at(ctx.cl_id);
  ctx.set_time_of_validity(frame.time_of_validity[slot_]);
  return type_->decode(frame.slot_bytes[slot_], output);
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
      type.create = create_recorded_source;
    }
    replaced.add(std::move(type));
  }
  return replaced;
}

}  // namespace copper::replay
