#include "task_calls.hpp"

#include "copper/registry.hpp"

namespace copper::detail {

TaskCalls::TaskCalls(Graph& graph, CopperListPool& pool, std::span<const uint32_t> order)
    : task_count_(graph.tasks().size()) {
  size_t inputs_per_list = 0;
  for (const TaskNode& node : graph.tasks()) inputs_per_list += node.input_slots.size();
  // Sized once: calls point into it.
  inputs_.resize(inputs_per_list * pool.capacity());
  calls_.resize(task_count_ * pool.capacity());
  ordered_.reserve(calls_.size());
  size_t next_input = 0;
  for (size_t entry = 0; entry < pool.capacity(); ++entry) {
    CopperList& cl = pool.entry(entry);
    for (TaskNode& node : graph.tasks()) {
      TaskCall& call = at(entry, node.index);
      call.node = &node;
      call.impl = node.impl.get();
      call.record = &cl.record(node.index);
      call.text_log = &cl.text_log(node.index);
      call.chainable = !node.type->hooks;
      if (node.output_slot != kNoSlot) {
        call.output = cl.message(node.output_slot);
        call.reset_output = cl.message_type(node.output_slot).reset;
        call.time_of_validity = &cl.time_of_validity(node.output_slot);
      }
      call.inputs = inputs_.data() + next_input;
      for (uint32_t slot : node.input_slots) inputs_[next_input++] = cl.message(slot);
    }
    for (uint32_t index : order) ordered_.push_back(&at(entry, index));
  }
}

}  // namespace copper::detail
