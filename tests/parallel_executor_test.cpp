// ParallelExecutor: equivalence with the serial executor, ordering,
// overlap, backpressure, stop conditions, idling (failures:
// parallel_executor_failure_test.cpp).
#include <doctest/doctest.h>

#include <time.h>

#include <atomic>
#include <functional>
#include <map>
#include <sstream>
#include <thread>

#include "copper/registry.hpp"
#include "copper/runtime.hpp"
#include "fixtures/graph_helpers.hpp"
#include "fixtures/random_graph.hpp"
#include "fixtures/run_helpers.hpp"
#include "fixtures/stream_capture.hpp"
#include "fixtures/test_tasks.hpp"

using copper::ParallelExecutor;
using copper::ParallelOptions;
using copper::StopConditions;
using copper::StopReason;
using testing_tasks::cycles;
using testing_tasks::parallel;
using testing_tasks::require_graph;
using testing_tasks::CapturedCopperList;
using testing_tasks::StreamCapture;

namespace {

std::string describe(const copper::RunReport& report) {
  return report.failure ? report.failure->describe() : std::string("no failure");
}

// Each reading moves the clock 10 ns on. Every executor reads it once per
// task at start and once per copperlist at admission, in id order, so
// copperlist n gets the same time in all of them: times are part of the
// captured stream.
class SteppingClock final : public copper::Clock {
 public:
  copper::Nanos now() const override { return next_.fetch_add(10); }

 private:
  mutable std::atomic<copper::Nanos> next_{1000};
};

// Runs a fresh graph from `json` and returns what was committed. A null
// options runs serially.
std::vector<CapturedCopperList> run_stream(std::string_view json, const ParallelOptions* options, uint64_t n,
                                           uint64_t keyframe_interval) {
  copper::Graph graph = require_graph(json);
  SteppingClock clock;
  StreamCapture sink;
  std::unique_ptr<copper::Executor> executor;
  if (options)
    executor = std::make_unique<ParallelExecutor>(graph, clock, *options);
  else
    executor = std::make_unique<copper::SerialExecutor>(graph, clock);
  executor->set_keyframe_interval(keyframe_interval);
  const copper::RunReport report = executor->run(cycles(n), &sink);
  INFO(describe(report));
  REQUIRE(report.ok());
  REQUIRE(report.committed == n);
  return std::move(sink.stream);
}

void check_same_stream(const std::vector<CapturedCopperList>& expected, const std::vector<CapturedCopperList>& got) {
  REQUIRE(got.size() == expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    CHECK(got[i].id == i);
    INFO("copperlist " << i);
    REQUIRE(got[i] == expected[i]);
  }
}

constexpr uint32_t kInFlight[] = {1, 2, 8, 64};
constexpr uint32_t kThreads[] = {1, 2, 4};

void check_equivalence(std::string_view json, uint64_t n, uint64_t keyframe_interval) {
  const auto serial = run_stream(json, nullptr, n, keyframe_interval);
  for (uint32_t in_flight : kInFlight) {
    for (uint32_t threads : kThreads) {
      INFO("max_in_flight " << in_flight << ", threads " << threads);
      const ParallelOptions options = parallel(in_flight, threads);
      check_same_stream(serial, run_stream(json, &options, n, keyframe_interval));
    }
  }
}

}  // namespace

TEST_CASE("runtime.parallel.equivalence.rover") {
  const std::string rover = testing_tasks::read_rover_config();
  REQUIRE_FALSE(rover.empty());
  check_equivalence(rover, 60, 16);
}

TEST_CASE("runtime.parallel.equivalence.random_dags") {
  for (uint32_t seed = 1; seed <= 30; ++seed) {
    const std::string json = testing_tasks::random_dag_config(seed, 4 + static_cast<int>(seed % 9));
    INFO("seed " << seed << "\n" << json);
    check_equivalence(json, 60, 7);
  }
}

TEST_CASE("runtime.parallel.ordering.commits_in_id_order_and_tasks_see_increasing_ids") {
  // The history tasks fail the run if they ever see ids out of order; the
  // capture checks the commit sequence is 0..N-1.
  const std::string json = testing_tasks::random_dag_config(99, 14);
  const ParallelOptions options = parallel(16, 4);
  const auto stream = run_stream(json, &options, 500, 0);
  for (size_t i = 0; i < stream.size(); ++i) REQUIRE(stream[i].id == i);
}

TEST_CASE("runtime.parallel.lifecycle_keeps_serial_order_per_task") {
  copper::Graph graph = require_graph(R"({"tasks": [
      {"id": "src", "type": "test/counter", "params": {"step": 1}},
      {"id": "p1", "type": "test/probe"},
      {"id": "p2", "type": "test/probe"},
      {"id": "out", "type": "test/collect"}],
    "connections": [{"from": "src", "to": "p1"}, {"from": "p1", "to": "p2"}, {"from": "p2", "to": "out"}]})");
  testing_tasks::CallLog::instance().take();
  testing_tasks::Collected::instance().clear();
  copper::ManualClock clock;
  REQUIRE(ParallelExecutor(graph, clock, parallel(8, 4)).run(cycles(200)).ok());
  std::map<std::string, std::vector<std::string>> per_task;
  for (const std::string& call : testing_tasks::CallLog::instance().take()) {
    const auto colon = call.find(':');
    per_task[call.substr(0, colon)].push_back(call.substr(colon + 1));
  }
  for (const char* task : {"p1", "p2"}) {
    const auto& calls = per_task[task];
    REQUIRE(calls.size() == 2 + 3 * 200);
    CHECK(calls.front() == "start:0");
    CHECK(calls.back() == "stop:200");
    for (uint64_t n = 0; n < 200; ++n) {
      CHECK(calls[1 + 3 * n] == "pre:" + std::to_string(n));
      CHECK(calls[2 + 3 * n] == "process:" + std::to_string(n));
      CHECK(calls[3 + 3 * n] == "post:" + std::to_string(n));
    }
  }
  const auto values = testing_tasks::Collected::instance().take("out");
  REQUIRE(values.size() == 200);
  for (size_t i = 0; i < values.size(); ++i) CHECK(values[i] == static_cast<int64_t>(i));
}

TEST_CASE("runtime.parallel.overlap.independent_branches_of_one_copperlist") {
  // Two sibling tasks that each wait for the other: possible only if the
  // two branches of the same copperlist run at once (max_in_flight 1).
  copper::Graph graph = require_graph(R"({"tasks": [
      {"id": "src", "type": "test/counter", "params": {"step": 1}},
      {"id": "left", "type": "test/rendezvous", "params": {"group": "branches"}},
      {"id": "right", "type": "test/rendezvous", "params": {"group": "branches"}},
      {"id": "sum", "type": "test/add"},
      {"id": "out", "type": "test/drop_number"}],
    "connections": [{"from": "src", "to": "left"}, {"from": "src", "to": "right"},
                    {"from": "left", "to": "sum", "input": "a"}, {"from": "right", "to": "sum", "input": "b"},
                    {"from": "sum", "to": "out"}]})");
  copper::ManualClock clock;
  const auto report = ParallelExecutor(graph, clock, parallel(1, 2)).run(cycles(50));
  INFO(describe(report));
  CHECK(report.ok());
  CHECK(report.committed == 50);
}

TEST_CASE("runtime.parallel.overlap.consecutive_copperlists_of_a_stateless_task") {
  // A stateless task meeting itself: copperlists n and n+1 inside at once.
  copper::Graph graph = require_graph(R"({"tasks": [
      {"id": "src", "type": "test/counter", "params": {"step": 1}},
      {"id": "meet", "type": "test/rendezvous_stateless", "params": {"group": "self", "consecutive": true}},
      {"id": "out", "type": "test/drop_number"}],
    "connections": [{"from": "src", "to": "meet"}, {"from": "meet", "to": "out"}]})");
  copper::ManualClock clock;
  const auto report = ParallelExecutor(graph, clock, parallel(4, 3)).run(cycles(40));
  INFO(describe(report));
  CHECK(report.ok());
  CHECK(report.committed == 40);
}

TEST_CASE("runtime.parallel.overlap.stateful_task_never_meets_itself") {
  // The same rendezvous, stateful: n+1 waits for n, so it runs alone and
  // fails (short timeout) at copperlist 0, and nothing is committed.
  copper::Graph graph = require_graph(R"({"tasks": [
      {"id": "src", "type": "test/counter", "params": {"step": 1}},
      {"id": "meet", "type": "test/rendezvous", "params": {"group": "stateful_self", "consecutive": true, "timeout_ms": 200}},
      {"id": "out", "type": "test/drop_number"}],
    "connections": [{"from": "src", "to": "meet"}, {"from": "meet", "to": "out"}]})");
  copper::ManualClock clock;
  const auto report = ParallelExecutor(graph, clock, parallel(4, 3)).run(cycles(10));
  REQUIRE(report.failure);
  CHECK(report.failure->task_id == "meet");
  CHECK(report.failure->cl_id == 0);
  CHECK(report.committed == 0);
  CHECK(report.reason == StopReason::task_failed);
}

namespace {

// Shared by the backpressure probe pair below.
std::atomic<uint64_t> g_committed{0};
std::atomic<uint64_t> g_max_in_flight{0};
std::atomic<uint64_t> g_violations{0};

// A source checking, when it runs for copperlist n, that fewer than
// max_in_flight copperlists are admitted and not committed.
class AdmissionProbe : public copper::Source<testing_tasks::Number> {
 public:
  copper::Status process(const copper::Context& ctx, testing_tasks::Number& out) override {
    const uint64_t committed = g_committed.load();
    if (ctx.cl_id() >= committed + g_max_in_flight.load()) g_violations.fetch_add(1);
    out.value = static_cast<int64_t>(ctx.cl_id());
    return {};
  }
};
COPPER_REGISTER_TASK(AdmissionProbe, "test/admission_probe");

class CommitCounter final : public copper::CommitSink {
 public:
  copper::Status commit(const copper::CopperList& cl) override {
    g_committed.store(cl.id + 1);
    return {};
  }
};

}  // namespace

TEST_CASE("runtime.parallel.backpressure_bounds_copperlists_in_flight") {
  for (uint32_t in_flight : {1u, 3u, 8u}) {
    copper::Graph graph = require_graph(R"({"tasks": [
        {"id": "src", "type": "test/admission_probe"},
        {"id": "a", "type": "test/pure1"},
        {"id": "b", "type": "test/hist1"},
        {"id": "out", "type": "test/hist_sink2"}],
      "connections": [{"from": "src", "to": "a"}, {"from": "src", "to": "b"},
                      {"from": "a", "to": "out", "input": "in0"}, {"from": "b", "to": "out", "input": "in1"}]})");
    g_committed = 0;
    g_violations = 0;
    g_max_in_flight = in_flight;
    copper::ManualClock clock;
    CommitCounter sink;
    const auto report = ParallelExecutor(graph, clock, parallel(in_flight, 4)).run(cycles(2000), &sink);
    CHECK(report.ok());
    CHECK(report.committed == 2000);
    CHECK(g_violations.load() == 0);
  }
}

TEST_CASE("runtime.parallel.stop_request_commits_a_contiguous_prefix") {
  copper::Graph graph = require_graph(testing_tasks::random_dag_config(8, 10));
  struct StoppingSink final : copper::CommitSink {
    std::vector<uint64_t> ids;
    std::atomic<bool> stop{false};
    copper::Status commit(const copper::CopperList& cl) override {
      ids.push_back(cl.id);
      if (cl.id == 300) stop.store(true);
      return {};
    }
  } sink;
  copper::ManualClock clock;
  StopConditions conditions;
  conditions.stop_flag = &sink.stop;
  const auto report = ParallelExecutor(graph, clock, parallel(8, 2)).run(conditions, &sink);
  CHECK(report.ok());
  CHECK(report.reason == StopReason::stop_requested);
  // Admission stops at the next admission after the request; what was in
  // flight is committed.
  CHECK(report.committed >= 301);
  CHECK(report.committed <= 301 + 8);
  REQUIRE(sink.ids.size() == report.committed);
  for (size_t i = 0; i < sink.ids.size(); ++i) CHECK(sink.ids[i] == i);
}

TEST_CASE("runtime.parallel.duration_and_rate_limits") {
  copper::Graph graph = require_graph(testing_tasks::kMinimalGraph);
  copper::MonotonicClock clock;
  ParallelExecutor executor(graph, clock, parallel(4, 2));
  SUBCASE("rate: absolute deadlines") {
    StopConditions stop = cycles(21);
    stop.rate_hz = 200;  // copperlist 20 is admitted 100 ms after the start
    const auto report = executor.run(stop);
    CHECK(report.ok());
    CHECK(report.committed == 21);
    CHECK(report.wall_time >= 100'000'000);
  }
  SUBCASE("duration") {
    StopConditions stop;
    stop.duration = 50'000'000;
    stop.rate_hz = 1000;
    const auto report = executor.run(stop);
    CHECK(report.ok());
    CHECK(report.reason == StopReason::duration_limit);
    CHECK(report.committed >= 10);
    CHECK(report.wall_time >= 50'000'000);
  }
}

TEST_CASE("runtime.parallel.idle_workers_sleep") {
  // 4 workers with a copperlist every 10 ms: spinning workers would burn
  // up to 4 cores; sleeping ones use almost nothing.
  copper::Graph graph = require_graph(testing_tasks::kMinimalGraph);
  copper::MonotonicClock clock;
  StopConditions stop = cycles(40);
  stop.rate_hz = 100;
  timespec cpu_before{}, cpu_after{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu_before);
  const auto report = ParallelExecutor(graph, clock, parallel(4, 4)).run(stop);
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu_after);
  REQUIRE(report.ok());
  const double cpu_ns = static_cast<double>(cpu_after.tv_sec - cpu_before.tv_sec) * 1e9 +
                        static_cast<double>(cpu_after.tv_nsec - cpu_before.tv_nsec);
  const double wall_ns = static_cast<double>(report.wall_time);
  INFO("cpu " << cpu_ns / 1e6 << " ms over wall " << wall_ns / 1e6 << " ms");
  CHECK(wall_ns >= 390e6);
  CHECK(cpu_ns < 0.5 * wall_ns);
}

TEST_CASE("runtime.parallel.runs_again_after_a_run") {
  // Counters, queue and pool are reset between runs of one executor.
  copper::Graph graph = require_graph(testing_tasks::kMinimalGraph);
  copper::ManualClock clock;
  ParallelExecutor executor(graph, clock, parallel(3, 2));
  for (int run = 0; run < 3; ++run) {
    testing_tasks::Collected::instance().clear();
    const auto report = executor.run(cycles(17));
    CHECK(report.ok());
    CHECK(report.committed == 17);
    const auto values = testing_tasks::Collected::instance().take("sink");
    REQUIRE(values.size() == 17);
    for (size_t i = 0; i < values.size(); ++i) CHECK(values[i] == static_cast<int64_t>(i));
  }
}

TEST_CASE("runtime.parallel.make_executor_follows_the_config") {
  copper::Graph graph = require_graph(testing_tasks::kMinimalGraph);
  copper::ManualClock clock;
  copper::RuntimeConfig runtime;
  CHECK(dynamic_cast<copper::SerialExecutor*>(copper::make_executor(graph, clock, runtime).get()) != nullptr);
  runtime.mode = copper::RunMode::parallel;
  runtime.max_in_flight = 6;
  runtime.threads = 3;
  auto executor = copper::make_executor(graph, clock, runtime);
  auto* parallel_executor = dynamic_cast<ParallelExecutor*>(executor.get());
  REQUIRE(parallel_executor != nullptr);
  CHECK(parallel_executor->options().max_in_flight == 6);
  CHECK(parallel_executor->options().threads == 3);
  runtime.threads = 0;
  auto automatic = copper::make_executor(graph, clock, runtime);
  CHECK(dynamic_cast<ParallelExecutor*>(automatic.get())->options().threads >= 1);
}

namespace {

// Times copperlist n at 7 * n and ends the input after copperlist 29.
class TestFeed final : public copper::AdmissionFeed {
 public:
  bool admit(copper::CopperList& cl) override {
    if (cl.id >= 30) return false;
    cl.time = 7 * static_cast<copper::Nanos>(cl.id);
    return true;
  }
};

}  // namespace

TEST_CASE("runtime.feed.first_copperlist_and_input_end_in_both_executors") {
  for (int parallel_mode = 0; parallel_mode < 2; ++parallel_mode) {
    INFO("parallel " << parallel_mode);
    copper::Graph graph = require_graph(R"({"tasks": [
        {"id": "src", "type": "test/clocked"},
        {"id": "acc", "type": "test/hist1"},
        {"id": "out", "type": "test/hist_sink1"}],
      "connections": [{"from": "src", "to": "acc"}, {"from": "acc", "to": "out"}]})");
    copper::ManualClock clock(123456);
    std::unique_ptr<copper::Executor> executor;
    if (parallel_mode)
      executor = std::make_unique<ParallelExecutor>(graph, clock, parallel(4, 2));
    else
      executor = std::make_unique<copper::SerialExecutor>(graph, clock);
    TestFeed feed;
    executor->set_admission_feed(&feed);
    StreamCapture capture;
    StopConditions stop;
    stop.first_cl = 10;
    const auto report = executor->run(stop, &capture);
    CHECK(report.ok());
    CHECK(report.reason == StopReason::input_ended);
    CHECK(report.committed == 20);
    REQUIRE(capture.stream.size() == 20);
    for (size_t i = 0; i < capture.stream.size(); ++i) {
      CHECK(capture.stream[i].id == 10 + i);
      CHECK(capture.stream[i].time == 7 * static_cast<int64_t>(10 + i));
    }
  }
}

namespace {

// Notes when copperlists are not admitted strictly in id order. Slow on
// the first admissions, to give a racing commit every chance.
class OrderCheckingFeed final : public copper::AdmissionFeed {
 public:
  bool admit(copper::CopperList& cl) override {
    if (cl.id > 0 && cl.id < 8) std::this_thread::sleep_for(std::chrono::microseconds(300));
    if (cl.id != next_) out_of_order_ = true;
    next_ = cl.id + 1;
    return true;
  }
  bool out_of_order() const { return out_of_order_; }

 private:
  uint64_t next_ = 0;
  bool out_of_order_ = false;
};

}  // namespace

// Regression: the workers were started before the first copperlists were
// admitted, so a fast commit of copperlist 0 could admit copperlist
// max_in_flight while copperlists 1.. were still being admitted.
TEST_CASE("runtime.parallel.regression.first_admissions_do_not_race_the_first_commit") {
  for (int attempt = 0; attempt < 10; ++attempt) {
    copper::Graph graph = require_graph(testing_tasks::kMinimalGraph);
    copper::ManualClock clock;
    ParallelExecutor executor(graph, clock, parallel(8, 4));
    OrderCheckingFeed feed;
    executor.set_admission_feed(&feed);
    const auto report = executor.run(cycles(40));
    REQUIRE(report.ok());
    REQUIRE_FALSE(feed.out_of_order());
  }
}

namespace {

// Counts copperlists in which `second` started its span exactly where
// `first` ended it (one shared clock read).
class SharedStampCounter final : public copper::CommitSink {
 public:
  SharedStampCounter(uint32_t first, uint32_t second) : first_(first), second_(second) {}
  copper::Status commit(const copper::CopperList& cl) override {
    if (cl.record(second_).start == cl.record(first_).end) ++shared;
    if (cl.record(second_).start < cl.record(first_).end) ++overlapping;
    return {};
  }
  uint64_t shared = 0;
  uint64_t overlapping = 0;

 private:
  uint32_t first_, second_;
};

}  // namespace

// A worker that goes straight on to the next task of a chain (its
// continuation) starts that task's span at the end of the previous one, as
// the serial executor does.
TEST_CASE("runtime.parallel.continuations_share_stamps") {
  auto graph = require_graph(R"({"tasks": [
      {"id": "src", "type": "test/counter", "params": {"step": 1}},
      {"id": "s1", "type": "test/scale"}, {"id": "s2", "type": "test/scale"},
      {"id": "out", "type": "test/drop_number"}],
    "connections": [{"from": "src", "to": "s1"}, {"from": "s1", "to": "s2"}, {"from": "s2", "to": "out"}]})");
  uint32_t s1 = 0, s2 = 0;
  for (const auto& node : graph.tasks()) {
    if (node.id == "s1") s1 = node.index;
    if (node.id == "s2") s2 = node.index;
  }
  copper::ManualClock clock;
  SharedStampCounter counter(s1, s2);
  const auto report = ParallelExecutor(graph, clock, parallel(1, 1)).run(cycles(50), &counter);
  CHECK(report.committed == 50);
  CHECK(counter.shared == 50);  // one worker, one copperlist at a time: always a continuation
  CHECK(counter.overlapping == 0);
}
