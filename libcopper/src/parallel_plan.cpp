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
  order_links();
}

// A link's target has a single event, so it is the target of that one link
// only: the links form disjoint paths, each laid out from its head.
void ParallelPlan::order_links() {
  const auto commit = commit_node();
  std::vector<bool> linked_to(nodes_.size(), false);
  for (const PlanNode& node : nodes_)
    if (node.only_next != PlanNode::kNoNode) linked_to[node.only_next] = true;
  for (uint32_t head = 0; head < commit; ++head) {
    if (linked_to[head]) continue;
    const auto begin = static_cast<uint32_t>(link_order_.size());
    uint32_t node = head;
    for (;;) {
      link_order_.push_back(node);
      const uint32_t link = nodes_[node].only_next;
      if (link == PlanNode::kNoNode || link == commit) break;
      node = link;
    }
    const auto end = static_cast<uint32_t>(link_order_.size());
    const bool commits = nodes_[node].only_next == commit;
    for (uint32_t at = begin; at < end; ++at) {
      PlanNode& member = nodes_[link_order_[at]];
      member.run_begin = at;
      member.run_end = end;
      member.last = node;
      member.run_commits = commits;
    }
  }
}

}  // namespace copper::detail
