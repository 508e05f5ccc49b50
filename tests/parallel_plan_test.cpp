// ParallelPlan: the events each (node, copperlist) pair waits for.
#include <doctest/doctest.h>

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
