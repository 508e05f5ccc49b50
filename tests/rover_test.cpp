// The bundled rover graph: it builds, it is deterministic, its stateful
// tasks can be frozen and thawed.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "copper/runtime.hpp"
#include "fixtures/graph_helpers.hpp"

namespace {

std::string rover_config() {
  std::ifstream in(COPPER_SOURCE_DIR "/examples/rover.json");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

copper::Graph rover_graph(const std::string& json) {
  auto built = testing_tasks::build_graph(json);
  INFO(built.diags.to_string());
  REQUIRE(built.graph);
  CHECK(built.diags.all().empty());  // no warning either: every output is read
  return std::move(*built.graph);
}

// Keeps every slot's encoded message of every copperlist.
class Recorder final : public copper::CommitSink {
 public:
  std::vector<std::vector<std::vector<uint8_t>>> cycles;  // [cl][slot] -> bytes
  copper::Status commit(const copper::CopperList& cl) override {
    auto& slots = cycles.emplace_back(cl.slot_count());
    for (uint32_t s = 0; s < cl.slot_count(); ++s) cl.message_type(s).encode(cl.message(s), slots[s]);
    return {};
  }
};

Recorder run_rover(const std::string& json, uint64_t cycles) {
  auto graph = rover_graph(json);
  copper::ManualClock clock;
  Recorder recorder;
  copper::StopConditions stop;
  stop.cycles = cycles;
  auto report = copper::SerialExecutor(graph, clock).run(stop, &recorder);
  INFO((report.failure ? report.failure->describe() : ""));
  REQUIRE(report.ok());
  return recorder;
}

// True when `task` depends, directly or not, on `ancestor`.
bool depends_on(const copper::Graph& graph, uint32_t task, uint32_t ancestor) {
  for (uint32_t producer : graph.tasks()[task].producers)
    if (producer == ancestor || depends_on(graph, producer, ancestor)) return true;
  return false;
}

}  // namespace

TEST_CASE("rover.config.builds_with_independent_branches") {
  auto graph = rover_graph(rover_config());
  const auto* pose = graph.find("pose");
  const auto* obstacles = graph.find("obstacles");
  const auto* features = graph.find("features");
  REQUIRE(pose);
  REQUIRE(obstacles);
  REQUIRE(features);
  // Three branches that share no ancestor: a parallel runtime can overlap them.
  CHECK_FALSE(depends_on(graph, pose->index, obstacles->index));
  CHECK_FALSE(depends_on(graph, obstacles->index, features->index));
  CHECK_FALSE(depends_on(graph, features->index, pose->index));
  CHECK(graph.config().tasks.size() >= 10);
}

TEST_CASE("rover.run.deterministic_from_seed_and_cl_id") {
  const std::string json = rover_config();
  auto first = run_rover(json, 200);
  auto second = run_rover(json, 200);
  REQUIRE(first.cycles.size() == 200);
  CHECK(first.cycles == second.cycles);
  // Consecutive cycles differ: the simulation moves.
  CHECK(first.cycles[10] != first.cycles[11]);
}

TEST_CASE("rover.run.seed_changes_the_data") {
  auto config = nlohmann::json::parse(rover_config());
  auto first = run_rover(config.dump(), 20);
  for (auto& task : config["tasks"])
    if (task.contains("params") && task["params"].contains("seed")) task["params"]["seed"] = 1234;
  auto second = run_rover(config.dump(), 20);
  CHECK(first.cycles != second.cycles);
}

TEST_CASE("rover.stateful_tasks.freeze_thaw_resumes_identically") {
  for (const char* task_id : {"pose", "planner"}) {
    CAPTURE(task_id);
    auto graph = rover_graph(rover_config());
    const auto* node = graph.find(task_id);
    REQUIRE(node);
    // Freeze when copperlist 99 commits: the state before copperlist 100.
    std::vector<uint8_t> frozen;
    class FreezeAt final : public copper::CommitSink {
     public:
      FreezeAt(Recorder& r, const copper::TaskBase& t, std::vector<uint8_t>& out) : recorder(r), task(t), state(out) {}
      copper::Status commit(const copper::CopperList& cl) override {
        if (cl.id == 99) CHECK(task.freeze(state));
        return recorder.commit(cl);
      }
      Recorder& recorder;
      const copper::TaskBase& task;
      std::vector<uint8_t>& state;
    };
    Recorder recorder;
    FreezeAt sink(recorder, *node->impl, frozen);
    copper::ManualClock clock;
    copper::StopConditions stop;
    stop.cycles = 200;
    REQUIRE(copper::SerialExecutor(graph, clock).run(stop, &sink).ok());
    REQUIRE_FALSE(frozen.empty());

    // A fresh instance thawed from that state, fed the recorded inputs of
    // copperlists 100..199, reproduces the recorded outputs exactly.
    auto fresh = rover_graph(rover_config());
    auto& task = *fresh.find(task_id)->impl;
    REQUIRE(task.thaw(frozen).ok());
    const auto& slots = graph.slots();
    std::vector<void*> inputs;
    for (uint32_t slot : node->input_slots) inputs.push_back(slots[slot].type->create());
    const copper::MessageType& out_type = *slots[node->output_slot].type;
    void* output = out_type.create();
    for (uint64_t id = 100; id < 200; ++id) {
      for (size_t i = 0; i < inputs.size(); ++i)
        REQUIRE(slots[node->input_slots[i]].type->decode(recorder.cycles[id][node->input_slots[i]], inputs[i]).ok());
      out_type.reset(output);
      const copper::Context ctx(id, 0, node->index, node->id);
      REQUIRE(task.run(ctx, const_cast<const void* const*>(inputs.data()), output).ok());
      std::vector<uint8_t> replayed;
      out_type.encode(output, replayed);
      CHECK(replayed == recorder.cycles[id][node->output_slot]);
    }
    out_type.destroy(output);
    for (size_t i = 0; i < inputs.size(); ++i) slots[node->input_slots[i]].type->destroy(inputs[i]);
  }
}
