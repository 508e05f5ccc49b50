// The static half of parallel scheduling, worked out once per executor from
// the graph and max_in_flight, so the per-cycle path only counts.
//
// Scheduling nodes are the graph's tasks plus one commit node (the last
// index). A pair (node, copperlist n) becomes ready after a fixed number of
// events, each of which happens exactly once per pair:
//   - each producer of the node finished n (for the commit node: each leaf
//     task, which implies every task, since a task runs after its producers);
//   - the node finished n-1 ("gated": stateful tasks and the commit node,
//     only when several copperlists may be in flight: with one, admission
//     itself orders them);
//   - copperlist n was admitted (roots, the sources: they have no producer).
// A node needing a single event is ready the moment that event happens and
// needs no counter at all: with max_in_flight = 1 a chain runs with no atomic
// read-modify-write, which is how parallel mode stays as cheap as serial.
#pragma once

#include <cstdint>
#include <vector>

#include "copper/graph.hpp"

namespace copper::detail {

struct PlanNode {
  uint32_t needed = 0;         // events making (node, n) ready, for n >= 1
  bool root = false;           // waits for its copperlist's admission
  bool gated = false;          // (node, n+1) waits for (node, n)
  std::vector<uint32_t> feeds; // finishing (node, n) is an event of (feed, n)
  // Set when finishing (node, n) makes exactly one pair ready, at once:
  // (only_next, n), its single feed, counting nothing. A chain's links; the
  // executor takes them without walking feeds.
  uint32_t only_next = kNoNode;
  static constexpr uint32_t kNoNode = ~uint32_t{0};
  // The run of tasks a worker goes through once (node, n) is ready: the
  // node and the links after it, up to the commit node or to the first task
  // without a link ("last"), at [run_begin, run_end) of the plan's
  // link_order(). Unused for the commit node.
  uint32_t run_begin = 0, run_end = 0, last = kNoNode;
  bool run_commits = false;  // the run's last task links to the commit node

  // The first copperlist of a run has no predecessor to wait for.
  uint32_t needed_for(bool first_of_run) const { return needed - (gated && first_of_run ? 1 : 0); }
  bool needs_counter() const { return needed > 1; }
};

class ParallelPlan {
 public:
  ParallelPlan(const Graph& graph, uint32_t max_in_flight);

  const std::vector<PlanNode>& nodes() const { return nodes_; }
  const PlanNode& node(uint32_t index) const { return nodes_[index]; }
  uint32_t commit_node() const { return static_cast<uint32_t>(nodes_.size() - 1); }
  const std::vector<uint32_t>& roots() const { return roots_; }
  // Every task once, each chain of links in a row: a run is a slice.
  const std::vector<uint32_t>& link_order() const { return link_order_; }

 private:
  void order_links();

  std::vector<PlanNode> nodes_;
  std::vector<uint32_t> roots_;
  std::vector<uint32_t> link_order_;
};

}  // namespace copper::detail
