// ParallelPlan: the events each (node, copperlist) pair waits for.
#include <doctest/doctest.h>

#include <algorithm>

#include "fixtures/graph_helpers.hpp"
#include "parallel_plan.hpp"

using copper::detail::ParallelPlan;

namespace {

// src -> {stateful, stateless} -> join (2 inputs) -> sink; plus an output
// nobody reads (extra), which is a leaf like the sink.
constexpr std::string_view kDiamond = R"({"tasks": [
    {"id": "src", "type": "test/hist_source"},
    {"id": "stateful", "type": "test/hist1"},
    {"id": "stateless", "type": "test/pure1"},
    {"id": "join", "type": "test/hist2"},
    {"id": "sink", "type": "test/hist_sink1"},
    {"id": "extra", "type": "test/pure1"}],
  "connections": [{"from": "src", "to": "stateful"}, {"from": "src", "to": "stateless"},
                  {"from": "stateful", "to": "join", "input": "in0"},
                  {"from": "stateless", "to": "join", "input": "in1"},
                  {"from": "join", "to": "sink"}, {"from": "src", "to": "extra"}]})";

enum { kSrc, kStateful, kStateless, kJoin, kSink, kExtra, kCommit };

}  // namespace

TEST_CASE("runtime.plan.one_in_flight_needs_only_data_and_admission") {
  auto built = testing_tasks::build_graph(kDiamond);
  REQUIRE(built.graph);
  const ParallelPlan plan(*built.graph, 1);
  REQUIRE(plan.nodes().size() == 7);
  CHECK(plan.commit_node() == kCommit);
  CHECK(plan.roots() == std::vector<uint32_t>{kSrc});
  // Admission orders everything: no node waits for its own previous pair.
  for (const auto& node : plan.nodes()) CHECK_FALSE(node.gated);
  CHECK(plan.node(kSrc).needed == 1);  // admission
  CHECK(plan.node(kStateful).needed == 1);
  CHECK(plan.node(kJoin).needed == 2);
  CHECK(plan.node(kCommit).needed == 2);  // the two leaves: sink and extra
  CHECK_FALSE(plan.node(kStateful).needs_counter());
  CHECK(plan.node(kJoin).needs_counter());
  CHECK(plan.node(kSrc).feeds == std::vector<uint32_t>{kStateful, kStateless, kExtra});
  CHECK(plan.node(kSink).feeds == std::vector<uint32_t>{kCommit});
  CHECK(plan.node(kExtra).feeds == std::vector<uint32_t>{kCommit});
  // The one link that makes exactly one pair ready, uncounted: join -> sink.
  constexpr uint32_t kNone = copper::detail::PlanNode::kNoNode;
  CHECK(plan.node(kJoin).only_next == kSink);
  CHECK(plan.node(kSrc).only_next == kNone);       // three feeds
  CHECK(plan.node(kStateful).only_next == kNone);  // join counts two inputs
  CHECK(plan.node(kSink).only_next == kNone);      // the commit counts two leaves
}

TEST_CASE("runtime.plan.several_in_flight_gate_stateful_nodes_and_commit") {
  auto built = testing_tasks::build_graph(kDiamond);
  REQUIRE(built.graph);
  const ParallelPlan plan(*built.graph, 8);
  CHECK(plan.node(kSrc).gated);
  CHECK(plan.node(kSrc).needed == 2);  // admission + its previous copperlist
  CHECK(plan.node(kStateful).needed == 2);
  CHECK_FALSE(plan.node(kStateless).gated);
  CHECK(plan.node(kStateless).needed == 1);
  CHECK(plan.node(kJoin).needed == 3);
  CHECK(plan.node(kCommit).gated);
  CHECK(plan.node(kCommit).needed == 3);
  // Copperlist 0 has no previous one to wait for.
  CHECK(plan.node(kJoin).needed_for(true) == 2);
  CHECK(plan.node(kJoin).needed_for(false) == 3);
  CHECK(plan.node(kStateless).needed_for(true) == 1);
  // A gated node also makes its own next pair ready: never a single link.
  for (const auto& node : plan.nodes())
    if (node.gated) CHECK(node.only_next == copper::detail::PlanNode::kNoNode);
  CHECK(plan.node(kJoin).only_next == copper::detail::PlanNode::kNoNode);
}

TEST_CASE("runtime.plan.link_order_lays_each_chain_out_in_a_row") {
  auto built = testing_tasks::build_graph(R"({"tasks": [
      {"id": "sink", "type": "test/hist_sink1"},
      {"id": "b", "type": "test/hist1"},
      {"id": "src", "type": "test/hist_source"},
      {"id": "a", "type": "test/hist1"}],
    "connections": [{"from": "src", "to": "a"}, {"from": "a", "to": "b"}, {"from": "b", "to": "sink"}]})");
  REQUIRE(built.graph);
  enum { kChainSink, kB, kChainSrc, kA };
  const ParallelPlan one(*built.graph, 1);
  // In flight 1 the whole chain is one run, from the source to the commit.
  CHECK(one.link_order() == std::vector<uint32_t>{kChainSrc, kA, kB, kChainSink});
  for (uint32_t task : {kChainSink, kB, kChainSrc, kA}) {
    CHECK(one.node(task).run_end == 4);
    CHECK(one.node(task).last == kChainSink);
    CHECK(one.node(task).run_commits);
  }
  CHECK(one.node(kChainSrc).run_begin == 0);
  CHECK(one.node(kB).run_begin == 2);
  CHECK(one.node(kChainSink).only_next == one.commit_node());
  // With several in flight every task is gated: each run is the task alone.
  const ParallelPlan eight(*built.graph, 8);
  CHECK(eight.link_order().size() == 4);
  for (uint32_t task : {kChainSink, kB, kChainSrc, kA}) {
    const auto& node = eight.node(task);
    CHECK(node.run_end == node.run_begin + 1);
    CHECK(eight.link_order()[node.run_begin] == task);
    CHECK(node.last == task);
    CHECK_FALSE(node.run_commits);
  }
}

TEST_CASE("runtime.plan.link_order_holds_every_task_of_a_branching_graph_once") {
  auto built = testing_tasks::build_graph(kDiamond);
  REQUIRE(built.graph);
  const ParallelPlan plan(*built.graph, 1);
  auto order = plan.link_order();
  std::sort(order.begin(), order.end());
  CHECK(order == std::vector<uint32_t>{kSrc, kStateful, kStateless, kJoin, kSink, kExtra});
  // join -> sink is the one link: a run of two; every other task runs alone.
  const auto& join = plan.node(kJoin);
  CHECK(join.run_end == join.run_begin + 2);
  CHECK(plan.link_order()[join.run_begin + 1] == kSink);
  CHECK(join.last == kSink);
  CHECK(plan.node(kSink).last == kSink);
  // Two leaves (sink and extra) both count down the commit: no run ends in it.
  for (uint32_t task : {kSrc, kStateful, kStateless, kJoin, kSink, kExtra}) CHECK_FALSE(plan.node(task).run_commits);
  for (uint32_t task : {kSrc, kStateful, kStateless, kExtra}) {
    CHECK(plan.node(task).run_end == plan.node(task).run_begin + 1);
    CHECK(plan.node(task).last == task);
  }
}
