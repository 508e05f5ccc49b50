// SerialExecutor: data flow, lifecycle order, stop conditions, failures.
#include <doctest/doctest.h>

#include <atomic>

#include <csignal>
#include <functional>

#include "copper/runtime.hpp"
#include "fixtures/graph_helpers.hpp"
#include "fixtures/run_helpers.hpp"
#include "fixtures/test_tasks.hpp"

using copper::CopperList;
using copper::StopConditions;
using copper::StopReason;
using testing_tasks::CallLog;
using testing_tasks::Collected;
using testing_tasks::cycles;
using testing_tasks::require_graph;

namespace {

// A commit sink that runs a callback per copperlist and remembers the ids.
class RecordingSink final : public copper::CommitSink {
 public:
  std::function<copper::Status(const CopperList&)> on_commit;
  std::vector<uint64_t> ids;
  copper::Status commit(const CopperList& cl) override {
    ids.push_back(cl.id);
    return on_commit ? on_commit(cl) : copper::Status();
  }
};

constexpr std::string_view kSumGraph = R"({"tasks": [
    {"id": "a", "type": "test/counter", "params": {"step": 1}},
    {"id": "b", "type": "test/counter", "params": {"step": 10}},
    {"id": "sum", "type": "test/add"},
    {"id": "out", "type": "test/collect"}],
  "connections": [{"from": "a", "to": "sum", "input": "a"}, {"from": "b", "to": "sum", "input": "b"},
                  {"from": "sum", "to": "out"}]})";

constexpr std::string_view kProbeGraph = R"({"tasks": [
    {"id": "src", "type": "test/counter", "params": {"step": 1}},
    {"id": "p1", "type": "test/probe"},
    {"id": "bad", "type": "test/fail_at", "params": {"at": FAIL_AT, "mode": "MODE"}},
    {"id": "p2", "type": "test/probe", "params": {"fail_start": FAIL_START}},
    {"id": "out", "type": "test/collect"}],
  "connections": [{"from": "src", "to": "p1"}, {"from": "p1", "to": "bad"}, {"from": "bad", "to": "p2"},
                  {"from": "p2", "to": "out"}]})";

std::string probe_graph(uint64_t fail_at, const char* mode = "throw", bool fail_start = false) {
  std::string json(kProbeGraph);
  auto replace = [&](std::string_view key, const std::string& value) { json.replace(json.find(key), key.size(), value); };
  replace("FAIL_AT", std::to_string(fail_at));
  replace("MODE", mode);
  replace("FAIL_START", fail_start ? "true" : "false");
  return json;
}

}  // namespace

TEST_CASE("runtime.serial.values_flow_through_the_graph") {
  Collected::instance().clear();
  auto graph = require_graph(kSumGraph);
  copper::ManualClock clock;
  RecordingSink sink;
  auto report = copper::SerialExecutor(graph, clock).run(cycles(100), &sink);
  CHECK(report.ok());
  CHECK(report.reason == StopReason::cycle_limit);
  CHECK(report.committed == 100);
  auto values = Collected::instance().take("out");
  REQUIRE(values.size() == 100);
  for (int64_t n = 0; n < 100; ++n) CHECK(values[static_cast<size_t>(n)] == 11 * n);
  REQUIRE(sink.ids.size() == 100);
  for (uint64_t n = 0; n < 100; ++n) CHECK(sink.ids[n] == n);
}

TEST_CASE("runtime.serial.lifecycle_order") {
  CallLog::instance().take();
  auto graph = require_graph(probe_graph(1000));
  copper::ManualClock clock;
  auto report = copper::SerialExecutor(graph, clock).run(cycles(2));
  CHECK(report.ok());
  const std::vector<std::string> expected = {
      "p1:start:0", "p2:start:0",
      "p1:pre:0", "p1:process:0", "p1:post:0", "p2:pre:0", "p2:process:0", "p2:post:0",
      "p1:pre:1", "p1:process:1", "p1:post:1", "p2:pre:1", "p2:process:1", "p2:post:1",
      "p2:stop:2", "p1:stop:2"};
  CHECK(CallLog::instance().take() == expected);
}

TEST_CASE("runtime.serial.throwing_task_stops_cleanly_and_is_named") {
  CallLog::instance().take();
  Collected::instance().clear();
  auto graph = require_graph(probe_graph(5, "throw"));
  copper::ManualClock clock;
  RecordingSink sink;
  auto report = copper::SerialExecutor(graph, clock).run(cycles(100), &sink);
  CHECK_FALSE(report.ok());
  CHECK(report.reason == StopReason::task_failed);
  CHECK(report.committed == 5);
  CHECK(sink.ids == std::vector<uint64_t>{0, 1, 2, 3, 4});
  REQUIRE(report.failure);
  CHECK(report.failure->task_id == "bad");
  CHECK(report.failure->cl_id == 5);
  CHECK(report.failure->phase == "process");
  CHECK(report.failure->describe() == "task \"bad\" failed in process at copperlist 5: threw: injected failure");
  // Every task was stopped, after the failure.
  auto calls = CallLog::instance().take();
  REQUIRE(calls.size() >= 2);
  CHECK(calls[calls.size() - 2] == "p2:stop:5");
  CHECK(calls.back() == "p1:stop:5");
  CHECK(Collected::instance().take("out").size() == 5);
}

TEST_CASE("runtime.serial.error_status_stops_cleanly") {
  auto graph = require_graph(probe_graph(0, "status"));
  copper::ManualClock clock;
  auto report = copper::SerialExecutor(graph, clock).run(cycles(10));
  CHECK(report.committed == 0);
  REQUIRE(report.failure);
  CHECK(report.failure->message == "injected error status");
  CallLog::instance().take();
}

TEST_CASE("runtime.serial.start_failure_stops_started_tasks") {
  CallLog::instance().take();
  auto graph = require_graph(probe_graph(1000, "throw", true));
  copper::ManualClock clock;
  auto report = copper::SerialExecutor(graph, clock).run(cycles(10));
  CHECK(report.committed == 0);
  REQUIRE(report.failure);
  CHECK(report.failure->phase == "start");
  CHECK(report.failure->task_id == "p2");
  // p1 started before p2 refused, so p1 is stopped; p2 is not.
  CHECK(CallLog::instance().take() == std::vector<std::string>{"p1:start:0", "p2:start:0", "p1:stop:0"});
}

TEST_CASE("runtime.serial.commit_error_stops_the_run") {
  auto graph = require_graph(kSumGraph);
  copper::ManualClock clock;
  RecordingSink sink;
  sink.on_commit = [](const CopperList& cl) {
    return cl.id == 3 ? copper::Status::error("No space left on device") : copper::Status();
  };
  auto report = copper::SerialExecutor(graph, clock).run(cycles(10), &sink);
  CHECK(report.reason == StopReason::commit_failed);
  CHECK(report.committed == 3);
  REQUIRE(report.failure);
  CHECK(report.failure->describe() == "commit of copperlist 3 failed: No space left on device");
  Collected::instance().clear();
}

TEST_CASE("runtime.serial.stop_request_finishes_the_current_cycle") {
  auto graph = require_graph(kSumGraph);
  copper::ManualClock clock;
  std::atomic<bool> stop{false};
  RecordingSink sink;
  sink.on_commit = [&stop](const CopperList& cl) {
    if (cl.id == 9) stop.store(true);
    return copper::Status();
  };
  StopConditions conditions;
  conditions.stop_flag = &stop;
  auto report = copper::SerialExecutor(graph, clock).run(conditions, &sink);
  CHECK(report.ok());
  CHECK(report.reason == StopReason::stop_requested);
  CHECK(report.committed == 10);
  Collected::instance().clear();
}

// Regression: the stop flag was process-wide, so stopping one run stopped
// every other run in the process until someone cleared it.
TEST_CASE("runtime.stop.a_run_s_own_flag_stops_only_that_run") {
  auto graph = require_graph(kSumGraph);
  copper::ManualClock clock;
  std::atomic<bool> stop_first{true};
  std::atomic<bool> stop_second{false};
  StopConditions first;
  first.cycles = 20;
  first.stop_flag = &stop_first;
  StopConditions second = first;
  second.stop_flag = &stop_second;
  const auto stopped = copper::SerialExecutor(graph, clock).run(first);
  CHECK(stopped.reason == StopReason::stop_requested);
  CHECK(stopped.committed == 0);
  const auto other = copper::SerialExecutor(graph, clock).run(second);
  CHECK(other.reason == StopReason::cycle_limit);
  CHECK(other.committed == 20);
  CHECK_FALSE(copper::stop_requested());  // the process's signal flag was never set
  Collected::instance().clear();
}

TEST_CASE("runtime.serial.sigint_stops_cleanly") {
  copper::install_stop_signal_handlers();
  auto graph = require_graph(kSumGraph);
  copper::ManualClock clock;
  RecordingSink sink;
  sink.on_commit = [](const CopperList& cl) {
    if (cl.id == 4) std::raise(SIGINT);
    return copper::Status();
  };
  auto report = copper::SerialExecutor(graph, clock).run(StopConditions{}, &sink);
  copper::clear_stop_request();
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  CHECK(report.reason == StopReason::stop_requested);
  CHECK(report.committed == 5);
  Collected::instance().clear();
}

TEST_CASE("runtime.serial.tasks_see_the_copperlist_clock") {
  auto graph = require_graph(R"({"tasks": [{"id": "c", "type": "test/clocked"}, {"id": "out", "type": "test/collect"}],
                                 "connections": [{"from": "c", "to": "out"}]})");
  copper::ManualClock clock(1'000);
  RecordingSink sink;
  const uint32_t slot = graph.find("c")->output_slot;
  sink.on_commit = [&](const CopperList& cl) {
    CHECK(cl.message_as<testing_tasks::Number>(slot).value == cl.time);
    CHECK(cl.time_of_validity(slot) == cl.time - 5);
    CHECK(cl.time == 1'000 + static_cast<copper::Nanos>(cl.id) * 250);
    clock.advance(250);
    return copper::Status();
  };
  auto report = copper::SerialExecutor(graph, clock).run(cycles(20), &sink);
  CHECK(report.committed == 20);
  CHECK(Collected::instance().take("out") .size() == 20);
}

TEST_CASE("runtime.serial.records_timing_per_task") {
  auto graph = require_graph(kSumGraph);
  copper::ManualClock clock;
  RecordingSink sink;
  sink.on_commit = [&](const CopperList& cl) {
    for (uint32_t t = 0; t < cl.task_count(); ++t) {
      CHECK(cl.record(t).status == copper::TaskStatus::ok);
      CHECK(cl.record(t).end >= cl.record(t).start);
      CHECK(cl.record(t).start >= cl.admitted);
    }
    return copper::Status();
  };
  CHECK(copper::SerialExecutor(graph, clock).run(cycles(5), &sink).committed == 5);
  Collected::instance().clear();
}

TEST_CASE("runtime.serial.rate_limit_uses_absolute_deadlines") {
  auto graph = require_graph(kSumGraph);
  copper::ManualClock clock;
  StopConditions stop = cycles(21);
  stop.rate_hz = 200;  // 5 ms period: cycle 20 is admitted no earlier than 100 ms in
  auto report = copper::SerialExecutor(graph, clock).run(stop);
  CHECK(report.committed == 21);
  CHECK(report.wall_time >= 100'000'000);
  Collected::instance().clear();
}

TEST_CASE("runtime.serial.duration_limit") {
  auto graph = require_graph(kSumGraph);
  copper::ManualClock clock;
  StopConditions stop;
  stop.duration = 30'000'000;
  stop.rate_hz = 1000;
  auto report = copper::SerialExecutor(graph, clock).run(stop);
  CHECK(report.reason == StopReason::duration_limit);
  CHECK(report.committed > 0);
  CHECK(report.wall_time >= 30'000'000);
  Collected::instance().clear();
}

TEST_CASE("runtime.stop_conditions_from_config") {
  copper::RuntimeConfig runtime;
  runtime.cycles = 7;
  runtime.duration_s = 1.25;
  runtime.rate_hz = 50;
  auto stop = StopConditions::from(runtime);
  CHECK(stop.cycles == 7);
  CHECK(stop.duration == 1'250'000'000);
  CHECK(stop.rate_hz == 50);
}

TEST_CASE("runtime.serial.keyframes_hold_state_before_the_copperlist") {
  auto graph = require_graph(R"({"tasks": [
      {"id": "src", "type": "test/counter", "params": {"step": 1}},
      {"id": "acc", "type": "test/accumulate"},
      {"id": "out", "type": "test/collect"}],
    "connections": [{"from": "src", "to": "acc"}, {"from": "acc", "to": "out"}]})");
  copper::ManualClock clock;
  copper::SerialExecutor executor(graph, clock);
  executor.set_keyframe_interval(10);
  RecordingSink sink;
  const uint32_t acc = graph.find("acc")->index;
  const uint32_t src = graph.find("src")->index;
  std::vector<uint64_t> keyframes;
  sink.on_commit = [&](const CopperList& cl) {
    if (!cl.is_keyframe()) return copper::Status();
    keyframes.push_back(cl.id);
    CHECK(cl.frozen_state(src).empty());  // the counter has no state to freeze
    testing_tasks::Number state;
    REQUIRE(copper::decode(cl.frozen_state(acc), state).ok());
    // Before copperlist n the running sum holds 0 + 1 + ... + (n - 1).
    const auto n = static_cast<int64_t>(cl.id);
    CHECK(state.value == n * (n - 1) / 2);
    return copper::Status();
  };
  REQUIRE(executor.run(cycles(35), &sink).ok());
  CHECK(keyframes == std::vector<uint64_t>{0, 10, 20, 30});
  Collected::instance().clear();
}

TEST_CASE("runtime.registry.knows_which_types_have_hooks") {
  const auto& registry = copper::Registry::global();
  CHECK(registry.find("test/probe")->hooks);     // overrides preprocess and postprocess
  CHECK_FALSE(registry.find("test/add")->hooks);  // process only
  CHECK_FALSE(registry.find("test/counter")->hooks);
}

// Consecutive tasks without hooks share a clock read: one's end is the
// next one's start. A task with hooks, the task after it, and every task of
// a keyframe copperlist read the clock afresh.
TEST_CASE("runtime.serial.tasks_without_hooks_share_stamps") {
  auto graph = require_graph(R"({"tasks": [
      {"id": "src", "type": "test/counter", "params": {"step": 1}}, {"id": "p1", "type": "test/probe"},
      {"id": "s1", "type": "test/scale"}, {"id": "s2", "type": "test/scale"},
      {"id": "p2", "type": "test/probe"}, {"id": "out", "type": "test/collect"}],
    "connections": [{"from": "src", "to": "p1"}, {"from": "p1", "to": "s1"}, {"from": "s1", "to": "s2"},
                    {"from": "s2", "to": "p2"}, {"from": "p2", "to": "out"}]})");
  std::vector<uint32_t> chain;  // src, p1, s1, s2, p2, out
  for (const char* id : {"src", "p1", "s1", "s2", "p2", "out"})
    for (const auto& node : graph.tasks())
      if (node.id == id) chain.push_back(node.index);
  REQUIRE(chain.size() == 6);
  copper::ManualClock clock;
  RecordingSink sink;
  uint64_t shared = 0;
  sink.on_commit = [&](const CopperList& cl) {
    for (size_t i = 0; i < chain.size(); ++i) {
      const auto& record = cl.record(chain[i]);
      CHECK(record.end >= record.start);
      if (i > 0) CHECK(record.start >= cl.record(chain[i - 1]).end);
    }
    if (!cl.is_keyframe() && cl.record(chain[3]).start == cl.record(chain[2]).end) ++shared;
    return copper::Status();
  };
  copper::SerialExecutor executor(graph, clock);
  executor.set_keyframe_interval(4);
  CHECK(executor.run(cycles(12), &sink).committed == 12);
  CHECK(shared == 9);  // every copperlist but the keyframes 0, 4 and 8
  CHECK(Collected::instance().take("out") == std::vector<int64_t>{0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44});
  CallLog::instance().take();
}
