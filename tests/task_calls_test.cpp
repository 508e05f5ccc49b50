// TaskCalls: each task's call on each copperlist of a pool, resolved ahead.
#include <doctest/doctest.h>

#include "fixtures/graph_helpers.hpp"
#include "fixtures/test_tasks.hpp"
#include "task_calls.hpp"

using copper::CopperList;
using copper::CopperListPool;
using copper::kNoSlot;
using copper::detail::TaskCall;
using copper::detail::TaskCalls;

namespace {

// counter -> probe (has preprocess/postprocess) -> add.a; counter -> add.b;
// add -> collect (a sink).
constexpr std::string_view kGraph = R"({"tasks": [
    {"id": "src", "type": "test/counter", "params": {"step": 1}},
    {"id": "probe", "type": "test/probe"},
    {"id": "add", "type": "test/add"},
    {"id": "sink", "type": "test/collect"}],
  "connections": [{"from": "src", "to": "probe"}, {"from": "probe", "to": "add", "input": "a"},
                  {"from": "src", "to": "add", "input": "b"}, {"from": "add", "to": "sink"}]})";

}  // namespace

TEST_CASE("runtime.task_calls.point_at_each_entrys_own_messages_and_records") {
  auto built = testing_tasks::build_graph(kGraph);
  REQUIRE(built.graph);
  copper::Graph& graph = *built.graph;
  CopperListPool pool(graph, 3);
  TaskCalls calls(graph, pool);
  for (size_t entry = 0; entry < pool.capacity(); ++entry) {
    CopperList& cl = pool.entry(entry);
    for (copper::TaskNode& node : graph.tasks()) {
      CAPTURE(entry);
      CAPTURE(node.id);
      const TaskCall& call = calls.at(entry, node.index);
      CHECK(call.node == &node);
      CHECK(call.impl == node.impl.get());
      CHECK(call.record == &cl.record(node.index));
      CHECK(call.text_log == &cl.text_log(node.index));
      CHECK(call.chainable == !node.type->hooks);
      for (size_t i = 0; i < node.input_slots.size(); ++i) CHECK(call.inputs[i] == cl.message(node.input_slots[i]));
      if (node.output_slot == kNoSlot) {
        CHECK(call.output == nullptr);
        CHECK(call.time_of_validity == nullptr);
      } else {
        CHECK(call.output == cl.message(node.output_slot));
        CHECK(call.time_of_validity == &cl.time_of_validity(node.output_slot));
      }
    }
  }
  // Each entry's calls in the graph's order, for the serial executor.
  for (size_t entry = 0; entry < pool.capacity(); ++entry) {
    const auto ordered = calls.in_order(entry);
    REQUIRE(ordered.size() == graph.order().size());
    for (size_t i = 0; i < ordered.size(); ++i) CHECK(ordered[i] == &calls.at(entry, graph.order()[i]));
  }
  // The probe has hooks; the others are plain process() calls.
  CHECK_FALSE(calls.at(0, 1).chainable);
  CHECK(calls.at(0, 2).chainable);
}

TEST_CASE("runtime.task_calls.reset_output_resets_the_output_message") {
  auto built = testing_tasks::build_graph(kGraph);
  REQUIRE(built.graph);
  CopperListPool pool(*built.graph, 2);
  TaskCalls calls(*built.graph, pool);
  const TaskCall& add = calls.at(1, 2);
  auto* output = static_cast<testing_tasks::Number*>(add.output);
  output->value = 42;
  add.reset_output(add.output);
  CHECK(output->value == 0);
}
