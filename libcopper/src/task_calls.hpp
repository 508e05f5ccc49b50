// Every task's call on every copperlist of a pool, resolved once when a run
// starts: where its inputs and its output live, how the output is reset,
// where its timing goes. The per-cycle paths then follow one pointer per
// task instead of walking the graph node, the slot tables and the
// copperlist's vectors on every call (about a third of the serial
// executor's own cost per task before, docs/benchmarks.md).
//
// Built at the start of each run, not with the executor: replay swaps task
// objects (CheckedTask) between constructing an executor and running it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "copper/copperlist.hpp"
#include "copper/graph.hpp"

namespace copper::detail {

struct TaskCall {
  TaskNode* node = nullptr;
  TaskBase* impl = nullptr;
  void* output = nullptr;                 // null for a sink
  void (*reset_output)(void*) = nullptr;  // the output type's copper::reset
  Nanos* time_of_validity = nullptr;      // the output's; null for a sink
  TextLogBuffer* text_log = nullptr;
  TaskRecord* record = nullptr;
  const void* const* inputs = nullptr;  // this copperlist's input messages, in input order
  bool chainable = false;               // no preprocess/postprocess hooks (TaskType::hooks)
};

class TaskCalls {
 public:
  // in_order() follows `order` (every task index once), by default the
  // graph's.
  TaskCalls(Graph& graph, CopperListPool& pool, std::span<const uint32_t> order);
  TaskCalls(Graph& graph, CopperListPool& pool) : TaskCalls(graph, pool, graph.order()) {}
  TaskCalls(const TaskCalls&) = delete;
  TaskCalls& operator=(const TaskCalls&) = delete;

  // The call of task `task` (its index in the graph) on the copperlist in
  // pool entry `entry` (CopperListPool::slot_of).
  TaskCall& at(size_t entry, uint32_t task) { return calls_[entry * task_count_ + task]; }
  // The calls on pool entry `entry` in the constructor's order.
  std::span<TaskCall* const> in_order(size_t entry) const {
    return {ordered_.data() + entry * task_count_, task_count_};
  }

 private:
  size_t task_count_;
  std::vector<const void*> inputs_;  // every call's input pointers, back to back
  std::vector<TaskCall> calls_;
  std::vector<TaskCall*> ordered_;
};

}  // namespace copper::detail
