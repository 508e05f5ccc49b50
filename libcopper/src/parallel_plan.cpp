#include "parallel_plan.hpp"

#include <algorithm>

namespace copper::detail {

ParallelPlan::ParallelPlan(const Graph& graph, uint32_t max_in_flight) : nodes_(graph.tasks().size() + 1) {
  const bool pipelined = max_in_flight > 1;
  const uint32_t commit = commit_node();
  uint32_t leaves = 0;
  for (const TaskNode& task : graph.tasks()) {
    PlanNode& node = nodes_[task.index];
    node.root = task.producers.empty();
    node.gated = pipelined && !task.stateless();
    node.needed = static_cast<uint32_t>(task.producers.size()) + (node.root ? 1 : 0) + (node.gated ? 1 : 0);
    if (task.consumers.empty()) {
      node.feeds = {commit};
      ++leaves;
    } else {
      node.feeds = task.consumers;
    }
    if (node.root) roots_.push_back(task.index);
  }
  PlanNode& committer = nodes_[commit];
  committer.gated = pipelined;
  committer.needed = leaves + (pipelined ? 1 : 0);
  for (PlanNode& node : nodes_)
    if (node.feeds.size() == 1 && !node.gated && !nodes_[node.feeds[0]].needs_counter()) node.only_next = node.feeds[0];
}

}  // namespace copper::detail
