// Calling one task on one copperlist: shared by every executor, so the
// lifecycle order and the failure handling are the same everywhere.
#pragma once

#include <exception>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "copper/copperlist.hpp"
#include "copper/graph.hpp"
#include "copper/runtime.hpp"
#include "task_calls.hpp"

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

// Asks the admission feed for copperlist `cl`, guarded: a feed that throws
// ends admission like one that runs out, and `failure` says why (phase
// "admit"). False when there is nothing to admit.
inline bool admit_from_feed(AdmissionFeed& feed, CopperList& cl, std::optional<TaskFailure>& failure) {
  bool admitted = false;
  const Status status = guarded([&] {
    admitted = feed.admit(cl);
    return Status();
  });
  if (status.ok()) return admitted;
  failure = TaskFailure{"", cl.id, "admit", std::string(status.message())};
  return false;
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

// Sets up one call of the task: its context and its output message, reset.
inline Context prepare_call(const TaskCall& call, const CopperList& cl) {
  if (call.output != nullptr) call.reset_output(call.output);
  return ContextAccess::make(cl.id, cl.time, call.node->index, call.node->id, call.time_of_validity, call.text_log);
}

// [freeze], preprocess(n), process(n), postprocess(n) for one task. On
// failure sets `phase` and returns the error; the record's status says
// failed.
inline Status invoke_task(const TaskCall& call, CopperList& cl, const char*& phase) {
  TaskRecord& record = *call.record;
  if (cl.is_keyframe()) {
    phase = "freeze";
    Status frozen = freeze_task(*call.node, cl);
    if (!frozen.ok()) {
      record.status = TaskStatus::failed;
      return frozen;
    }
  }
  const Context ctx = prepare_call(call, cl);

  phase = "preprocess";
  Status status = guarded([&] { return call.impl->preprocess(ctx); });
  if (status.ok()) {
    phase = "process";
    record.start = fast_now();
    status = guarded([&] { return call.impl->run(ctx, call.inputs, call.output); });
    record.end = fast_now();
  }
  if (status.ok()) {
    phase = "postprocess";
    status = guarded([&] { return call.impl->postprocess(ctx); });
  }
  record.status = status.ok() ? TaskStatus::ok : TaskStatus::failed;
  return status;
}

// True when invoke_chained_task may run this task on this copperlist.
inline bool can_chain(const TaskCall& call, const CopperList& cl) { return call.chainable && !cl.is_keyframe(); }

// process(n) alone, for a task without hooks (TaskType::hooks) outside
// keyframe copperlists: there is nothing to call before or after it, so
// executors chain such tasks on shared clock reads. `stamp` is the start of
// its span on entry (the end of the task run just before, or a fresh read)
// and its end on return; the reset of its output and the setting up of the
// call count towards the span.
inline Status invoke_chained_task(const TaskCall& call, const CopperList& cl, Nanos& stamp) {
  const Context ctx = prepare_call(call, cl);
  TaskRecord& record = *call.record;
  record.start = stamp;
  const Status status = guarded([&] { return call.impl->run(ctx, call.inputs, call.output); });
  stamp = fast_now();
  record.end = stamp;
  record.status = status.ok() ? TaskStatus::ok : TaskStatus::failed;
  return status;
}

// The clock read that ends one task's span, kept for the next task the
// same thread runs: `fresh` while nothing else ran since it was read.
struct SpanStamp {
  Nanos at = 0;
  bool fresh = false;
};

// Where a run of calls stopped: `failed` is null when every call succeeded.
struct CallsOutcome {
  const TaskCall* failed = nullptr;
  const char* phase = "";
  Status status;
};

// invoke_task for run_calls, out of its loop: tasks with hooks and keyframe
// copperlists are the rare case. False when the task failed (`outcome`
// says where).
[[gnu::noinline]] inline bool invoke_outside_chain(const TaskCall& call, CopperList& cl, CallsOutcome& outcome) {
  const char* phase = "";
  Status status = invoke_task(call, cl, phase);
  if (status.ok()) return true;
  outcome = {&call, phase, std::move(status)};
  return false;
}

// The per-task loop of both executors: `calls` in order on `cl`, stopping
// at the first failure. Tasks without hooks chain on shared clock reads
// (invoke_chained_task), starting at `stamp` when it is fresh; the stamp
// is left as the last task's end.
inline CallsOutcome run_calls(std::span<TaskCall* const> calls, CopperList& cl, SpanStamp& stamp) {
  Nanos at = stamp.at;
  bool fresh = stamp.fresh;
  CallsOutcome outcome;
  for (const TaskCall* call : calls) {
    if (!can_chain(*call, cl)) {
      fresh = false;
      if (!invoke_outside_chain(*call, cl, outcome)) break;
      continue;
    }
    if (!fresh) at = fast_now();
    fresh = true;
    Status status = invoke_chained_task(*call, cl, at);
    if (!status.ok()) {
      outcome = {call, "process", std::move(status)};
      break;
    }
  }
  stamp = {at, fresh};
  return outcome;
}

}  // namespace copper::detail
