#include "recorded.hpp"

#include <fmt/format.h>

#include "../xxhash_dispatch.hpp"

namespace copper::replay {

RecordedFrames::RecordedFrames(size_t capacity, size_t slots, size_t tasks) : frames_(capacity) {
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

LogFeed::LogFeed(log::LogReader& reader, uint64_t first, std::optional<uint64_t> to, RecordedFrames& frames)
    : cursor_(reader.copperlists(first)), to_(to), frames_(frames) {}

bool LogFeed::admit(CopperList& cl) {
  if (to_ && cl.id > *to_) return false;
  const log::CopperListView* recorded = cursor_.next();
  if (recorded == nullptr) {
    ended_because_ = fmt::format("the log ends{}", after_last_admitted());
    return false;
  }
  if (recorded->id != cl.id) {
    ended_because_ = fmt::format("the log has no copperlist {} (the next one it holds is {}): replay stops{}", cl.id,
                                 recorded->id, after_last_admitted());
    return false;
  }
  RecordedFrame& frame = frames_.at(cl.id);
  frame.id = recorded->id;
  frame.time = recorded->time_ns;
  const bool mapped = cursor_.last_in_mapping();
  for (size_t slot = 0; slot < frame.recorded.size() && slot < recorded->slots.size(); ++slot) {
    const std::span<const uint8_t> bytes = recorded->slots[slot].bytes;
    if (mapped) {
      frame.recorded[slot] = bytes;
    } else {
      frame.copies[slot].assign(bytes.begin(), bytes.end());
      frame.recorded[slot] = frame.copies[slot];
    }
    frame.time_of_validity[slot] = recorded->slots[slot].time_of_validity_ns;
    frame.checks[slot] = SlotCheck{};
  }
  for (size_t task = 0; task < frame.tasks.size() && task < recorded->tasks.size(); ++task)
    frame.tasks[task] = recorded->tasks[task];
  cl.time = recorded->time_ns;
  for (uint32_t slot = 0; slot < cl.slot_count(); ++slot) cl.time_of_validity(slot) = cl.time;
  last_admitted_ = cl.id;
  return true;
}

std::string LogFeed::after_last_admitted() const {
  return last_admitted_ ? fmt::format(" after copperlist {}", *last_admitted_) : "";
}

Status RecordedSource::run(const Context& ctx, const void* const*, void* output) {
  RecordedFrame& frame = frames_->at(ctx.cl_id);
  ctx.set_time_of_validity(frame.time_of_validity[slot_]);
  const std::span<const uint8_t> bytes = frame.recorded[slot_];
  frame.checks[slot_] = SlotCheck{0, true};
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
    replaced.add(std::move(type));
  }
  return replaced;
}

}  // namespace copper::replay
