// Graph::build: registry-dependent validation and planning.
#include <doctest/doctest.h>

#include "fixtures/graph_helpers.hpp"

using copper::Diagnostic;
using testing_tasks::build_graph;

TEST_CASE("graph.plan.slots_and_inputs_resolved") {
  auto built = build_graph(R"({"tasks": [
      {"id": "sink", "type": "test/collect"},
      {"id": "sum", "type": "test/add"},
      {"id": "a", "type": "test/counter", "params": {"step": 1}},
      {"id": "b", "type": "test/counter", "params": {"step": 10}}],
    "connections": [{"from": "a", "to": "sum", "input": "a"}, {"from": "b", "to": "sum", "input": 1},
                    {"from": "sum", "to": "sink"}]})");
  REQUIRE(built.graph);
  const auto& graph = *built.graph;
  CHECK(graph.slots().size() == 3);
  const auto* sum = graph.find("sum");
  REQUIRE(sum);
  CHECK(graph.slots()[sum->input_slots[0]].producer == graph.find("a")->index);
  CHECK(graph.slots()[sum->input_slots[1]].producer == graph.find("b")->index);
  CHECK(graph.find("sink")->output_slot == copper::kNoSlot);
  // Producers first; among ready tasks, config order.
  CHECK(graph.order() == std::vector<uint32_t>{2, 3, 1, 0});
  CHECK(sum->type->stateless);
  CHECK_FALSE(graph.find("a")->type->stateless);
}

TEST_CASE("graph.plan.input_chosen_by_type_when_unique") {
  auto built = build_graph(R"({"tasks": [
      {"id": "src", "type": "test/counter", "params": {"step": 1}},
      {"id": "text", "type": "test/to_text"},
      {"id": "out", "type": "test/drop_text"}],
    "connections": [{"from": "src", "to": "text"}, {"from": "text", "to": "out", "msg": "testing_tasks::Text"}]})");
  REQUIRE(built.graph);
  CHECK(built.diags.all().empty());
}

TEST_CASE("graph.error.unknown_task_type") {
  auto built = build_graph(R"({"tasks": [{"id": "a", "type": "test/countr"}]})");
  CHECK_FALSE(built.graph);
  CHECK(built.says("tasks[0].type", "unknown task type \"test/countr\""));
  CHECK(built.says("tasks[0].type", "test/counter"));  // lists the known ones
}

TEST_CASE("graph.error.type_mismatch_on_named_input") {
  auto built = build_graph(R"({"tasks": [
      {"id": "src", "type": "test/counter", "params": {"step": 1}},
      {"id": "text", "type": "test/to_text"},
      {"id": "sink", "type": "test/collect"}],
    "connections": [{"from": "src", "to": "text"}, {"from": "text", "to": "sink", "input": "in0"}]})");
  CHECK_FALSE(built.graph);
  CHECK(built.says("connections[1]", "type mismatch: \"text\" outputs testing_tasks::Text but input \"in0\""));
}

TEST_CASE("graph.error.type_mismatch_by_type") {
  auto built = build_graph(R"({"tasks": [
      {"id": "src", "type": "test/counter", "params": {"step": 1}},
      {"id": "text", "type": "test/to_text"},
      {"id": "sink", "type": "test/collect"}],
    "connections": [{"from": "src", "to": "text"}, {"from": "text", "to": "sink"}]})");
  // No input named: the builder looks for an input of the output's type,
  // finds none, and must refuse the graph saying what the sink does take
  // (test/collect has one input, in0, of testing_tasks::Number).
  CHECK_FALSE(built.graph);
  CHECK(built.says("connections[1]",
                   "type mismatch: \"text\" outputs testing_tasks::Text but no free input of \"sink\" takes it "
                   "(in0: testing_tasks::Number)"));
}

TEST_CASE("graph.error.declared_msg_differs") {
  auto built = build_graph(R"({"tasks": [
      {"id": "src", "type": "test/counter", "params": {"step": 1}},
      {"id": "sink", "type": "test/collect"}],
    "connections": [{"from": "src", "to": "sink", "msg": "rover::Imu"}]})");
  CHECK(built.says("connections[0].msg", "says rover::Imu but \"src\" outputs testing_tasks::Number"));
}

TEST_CASE("graph.error.unknown_input_name") {
  auto built = build_graph(R"({"tasks": [
      {"id": "a", "type": "test/counter", "params": {"step": 1}},
      {"id": "sum", "type": "test/add"}, {"id": "sink", "type": "test/collect"}],
    "connections": [{"from": "a", "to": "sum", "input": "c"}, {"from": "sum", "to": "sink"}]})");
  CHECK(built.says("connections[0].input", "has no input \"c\" (inputs: a, b)"));
}

TEST_CASE("graph.error.input_connected_twice") {
  auto built = build_graph(R"({"tasks": [
      {"id": "a", "type": "test/counter", "params": {"step": 1}},
      {"id": "b", "type": "test/counter", "params": {"step": 1}},
      {"id": "sink", "type": "test/collect"}],
    "connections": [{"from": "a", "to": "sink"}, {"from": "b", "to": "sink", "input": 0}]})");
  CHECK(built.says("connections[1]", "already connected by connections[0]"));
}

TEST_CASE("graph.error.ambiguous_input_needs_a_name") {
  auto built = build_graph(R"({"tasks": [
      {"id": "a", "type": "test/counter", "params": {"step": 1}},
      {"id": "sum", "type": "test/add"}, {"id": "sink", "type": "test/collect"}],
    "connections": [{"from": "a", "to": "sum"}, {"from": "sum", "to": "sink"}]})");
  CHECK(built.says("connections[0]", "several free inputs"));
}

TEST_CASE("graph.error.sink_has_no_output_source_has_no_input") {
  auto built = build_graph(R"({"tasks": [
      {"id": "a", "type": "test/counter", "params": {"step": 1}},
      {"id": "b", "type": "test/counter", "params": {"step": 1}},
      {"id": "sink", "type": "test/collect"}],
    "connections": [{"from": "a", "to": "sink"}, {"from": "sink", "to": "b"}]})");
  CHECK(built.says("connections[1].from", "\"sink\" is a sink and has no output"));
}

TEST_CASE("graph.error.cycle_is_named") {
  auto built = build_graph(R"({"tasks": [
      {"id": "src", "type": "test/counter", "params": {"step": 1}},
      {"id": "sum", "type": "test/add"},
      {"id": "x2", "type": "test/scale"},
      {"id": "acc", "type": "test/accumulate"},
      {"id": "sink", "type": "test/collect"}],
    "connections": [{"from": "src", "to": "sum", "input": "a"}, {"from": "acc", "to": "sum", "input": "b"},
                    {"from": "sum", "to": "x2"}, {"from": "x2", "to": "acc"}, {"from": "x2", "to": "sink"}]})");
  CHECK_FALSE(built.graph);
  bool named = false;
  for (const auto& d : built.diags.all())
    if (d.path == "connections" && d.message.find("cycle in the graph") != std::string::npos)
      named = d.message.find("sum") != std::string::npos && d.message.find("x2") != std::string::npos &&
              d.message.find("acc") != std::string::npos && d.message.find("src") == std::string::npos;
  CHECK(named);
}

TEST_CASE("graph.error.unconnected_required_input") {
  auto built = build_graph(R"({"tasks": [
      {"id": "a", "type": "test/counter", "params": {"step": 1}},
      {"id": "sum", "type": "test/add"}, {"id": "sink", "type": "test/collect"}],
    "connections": [{"from": "a", "to": "sum", "input": "a"}, {"from": "sum", "to": "sink"}]})");
  CHECK_FALSE(built.graph);
  CHECK(built.says("tasks[1]", "input \"b\" (testing_tasks::Number) of task \"sum\" is not connected"));
}

TEST_CASE("graph.warning.output_nobody_reads") {
  auto built = build_graph(R"({"tasks": [
      {"id": "a", "type": "test/counter", "params": {"step": 1}},
      {"id": "lonely", "type": "test/counter", "params": {"step": 1}},
      {"id": "sink", "type": "test/collect"}],
    "connections": [{"from": "a", "to": "sink"}]})");
  REQUIRE(built.graph);  // a warning, not an error
  CHECK(built.says("tasks[1]", "output of \"lonely\"", Diagnostic::Severity::warning));
  CHECK(built.graph->find("lonely")->output_slot != copper::kNoSlot);  // still recorded
}

TEST_CASE("graph.error.missing_parameter") {
  auto built = build_graph(R"({"tasks": [{"id": "a", "type": "test/counter"}, {"id": "s", "type": "test/collect"}],
                               "connections": [{"from": "a", "to": "s"}]})");
  CHECK_FALSE(built.graph);
  CHECK(built.says("tasks[0].params.step", "missing required parameter"));
}

TEST_CASE("graph.error.mistyped_parameter") {
  auto built = build_graph(R"({"tasks": [
      {"id": "a", "type": "test/typed", "params": {"flag": 1, "small": 300, "ratio": "x", "label": 2, "list": [1, "2"]}},
      {"id": "s", "type": "test/collect"}], "connections": [{"from": "a", "to": "s"}]})");
  // The constructor stops at the first bad parameter.
  CHECK(built.says("tasks[0].params.flag", "expected a boolean, got an integer"));
}

TEST_CASE("graph.error.mistyped_parameter_each_kind") {
  const std::pair<const char*, nlohmann::json> cases[] = {
      {"small", 300}, {"ratio", "x"}, {"label", 2}, {"list", nlohmann::json::array({1, "2"})}};
  for (const auto& [key, bad] : cases) {
    nlohmann::json config = nlohmann::json::parse(R"({"tasks": [{"id": "a", "type": "test/typed",
        "params": {"flag": true, "small": 3, "ratio": 0.5, "label": "l", "list": [1]}},
        {"id": "s", "type": "test/collect"}], "connections": [{"from": "a", "to": "s"}]})");
    config["tasks"][0]["params"][key] = bad;
    auto built = build_graph(config.dump());
    const std::string path = std::string("tasks[0].params.") + key + (std::string(key) == "list" ? "[1]" : "");
    CHECK_MESSAGE(built.says(path, ""), path);
    CHECK_FALSE(built.graph);
  }
}

TEST_CASE("graph.error.unknown_parameter") {
  auto built = build_graph(R"({"tasks": [{"id": "a", "type": "test/counter", "params": {"step": 1, "stpe": 2}},
                                         {"id": "s", "type": "test/collect"}],
                               "connections": [{"from": "a", "to": "s"}]})");
  CHECK_FALSE(built.graph);
  CHECK(built.says("tasks[0].params.stpe", "unknown parameter"));
}
