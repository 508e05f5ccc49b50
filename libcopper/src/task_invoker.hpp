// Calling one task on one copperlist: shared by every executor, so the
// lifecycle order and the failure handling are the same everywhere.
#pragma once

#include <exception>
#include <string>
#include <vector>

#include "copper/copperlist.hpp"
#include "copper/graph.hpp"

namespace copper::detail {

// Runs `call`, turning an escaping exception into an error Status: a task
// may report failure either way.
template <class Call>
Status guarded(Call&& call) {
  try {
    return call();
  } catch (const std::exception& error) {
    return Status::error(std::string("threw: ") + error.what());
  } catch (...) {
    return Status::error("threw a non-standard exception");
  }
}

// On a keyframe copperlist, the task's state just before it processes the
// copperlist: in every executor this is the state after its previous
// copperlist, so the frozen states form a consistent "before n" cut.
inline Status freeze_task(TaskNode& node, CopperList& cl) {
  std::vector<uint8_t>& state = cl.frozen_state(node.index);
  return guarded([&] {
    if (!node.impl->freeze(state)) state.clear();
    return Status();
  });
}

// Sets up one call of the task on the copperlist: its context, its input
// pointers and its output message, reset. Returns the output (null for a
// sink).
inline void* prepare_call(TaskNode& node, CopperList& cl, const void** inputs, Context& ctx) {
  ctx = Context{cl.id, cl.time, node.index, node.id, nullptr, &cl.text_log(node.index)};
  void* output = nullptr;
  if (node.output_slot != kNoSlot) {
    output = cl.message(node.output_slot);
    cl.message_type(node.output_slot).reset(output);
    ctx.time_of_validity_ = &cl.time_of_validity(node.output_slot);
  }
  for (size_t i = 0; i < node.input_slots.size(); ++i) inputs[i] = cl.message(node.input_slots[i]);
  return output;
}

// [freeze], preprocess(n), process(n), postprocess(n) for one task. On
// failure sets `phase` and returns the error; the record's status says
// failed.
inline Status invoke_task(TaskNode& node, CopperList& cl, const void** inputs, const char*& phase) {
  TaskRecord& record = cl.record(node.index);
  if (cl.is_keyframe()) {
    phase = "freeze";
    Status frozen = freeze_task(node, cl);
    if (!frozen.ok()) {
      record.status = TaskStatus::failed;
      return frozen;
    }
  }
  Context ctx;
  void* output = prepare_call(node, cl, inputs, ctx);

  phase = "preprocess";
  Status status = guarded([&] { return node.impl->preprocess(ctx); });
  if (status.ok()) {
    phase = "process";
    record.start = fast_now();
    status = guarded([&] { return node.impl->run(ctx, inputs, output); });
    record.end = fast_now();
  }
  if (status.ok()) {
    phase = "postprocess";
    status = guarded([&] { return node.impl->postprocess(ctx); });
  }
  record.status = status.ok() ? TaskStatus::ok : TaskStatus::failed;
  return status;
}

// True when invoke_chained_task may run this task on this copperlist.
inline bool can_chain(const TaskNode& node, const CopperList& cl) { return !node.type->hooks && !cl.is_keyframe(); }

// process(n) alone, for a task without hooks (TaskType::hooks) outside
// keyframe copperlists: there is nothing to call before or after it, so
// executors chain such tasks on shared clock reads. `stamp` is the start of
// its span on entry (the end of the task run just before, or a fresh read)
// and its end on return; the reset of its output and the setting up of the
// call count towards the span.
inline Status invoke_chained_task(TaskNode& node, CopperList& cl, const void** inputs, Nanos& stamp) {
  TaskRecord& record = cl.record(node.index);
  Context ctx;
  void* output = prepare_call(node, cl, inputs, ctx);
  record.start = stamp;
  const Status status = guarded([&] { return node.impl->run(ctx, inputs, output); });
  stamp = fast_now();
  record.end = stamp;
  record.status = status.ok() ? TaskStatus::ok : TaskStatus::failed;
  return status;
}

}  // namespace copper::detail
