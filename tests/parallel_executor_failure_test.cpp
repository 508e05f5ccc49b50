// ParallelExecutor when something fails: a task (throwing or returning an
// error, in process or in a hook), the commit, or a task's start. Older
// copperlists are committed, the failing one and newer ones are not, and the
// report names the task, the phase and the copperlist.
#include <doctest/doctest.h>

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "copper/log/reader.hpp"
#include "copper/log/writer.hpp"
#include "copper/runtime.hpp"
#include "fixtures/random_graph.hpp"
#include "fixtures/run_helpers.hpp"
#include "fixtures/scratch_dir.hpp"
#include "fixtures/stream_capture.hpp"
#include "fixtures/test_tasks.hpp"

using copper::ParallelExecutor;
using copper::StopReason;
using testing_tasks::cycles;
using testing_tasks::parallel;
using testing_tasks::require_graph;
using testing_tasks::StreamCapture;

TEST_CASE("runtime.parallel.failure.throw_at_k_commits_exactly_0_to_k_minus_1") {
  for (const char* mode : {"throw", "status"}) {
    for (uint32_t in_flight : {1u, 8u}) {
      INFO(mode << ", max_in_flight " << in_flight);
      copper::Graph graph = require_graph(fmt::format(R"({{"tasks": [
          {{"id": "src", "type": "test/hist_source"}},
          {{"id": "side", "type": "test/pure1"}},
          {{"id": "bad", "type": "test/fail_at", "params": {{"at": 37, "mode": "{}"}}}},
          {{"id": "out", "type": "test/hist_sink2"}}],
        "connections": [{{"from": "src", "to": "bad"}}, {{"from": "src", "to": "side"}},
                        {{"from": "bad", "to": "out", "input": "in0"}}, {{"from": "side", "to": "out", "input": "in1"}}]}})",
                                                              mode));
      copper::ManualClock clock;
      StreamCapture capture;
      const auto report = ParallelExecutor(graph, clock, parallel(in_flight, 2)).run(cycles(100), &capture);
      REQUIRE(report.failure);
      CHECK(report.failure->task_id == "bad");
      CHECK(report.failure->cl_id == 37);
      CHECK(report.failure->phase == "process");
      CHECK(report.reason == StopReason::task_failed);
      CHECK(report.committed == 37);
      REQUIRE(capture.stream.size() == 37);
      for (size_t i = 0; i < capture.stream.size(); ++i) CHECK(capture.stream[i].id == i);
    }
  }
}

// Both executors share one per-task loop (task_invoker.hpp, run_calls); a
// task with hooks fails outside its chain of clock reads, in the phase
// named in the report.
TEST_CASE("runtime.failure.hook_failure_names_its_phase_in_both_executors") {
  for (const char* hook : {"pre", "post"}) {
    for (uint32_t in_flight : {0u, 1u, 8u}) {  // 0: serial
      INFO(hook << ", in flight " << in_flight);
      copper::Graph graph = require_graph(fmt::format(R"({{"tasks": [
          {{"id": "src", "type": "test/counter", "params": {{"step": 1}}}},
          {{"id": "probe", "type": "test/probe", "params": {{"fail_in": "{}", "fail_at": 6}}}},
          {{"id": "out", "type": "test/collect"}}],
        "connections": [{{"from": "src", "to": "probe"}}, {{"from": "probe", "to": "out"}}]}})",
                                                      hook));
      copper::ManualClock clock;
      StreamCapture capture;
      std::unique_ptr<copper::Executor> executor;
      if (in_flight == 0) executor = std::make_unique<copper::SerialExecutor>(graph, clock);
      else executor = std::make_unique<ParallelExecutor>(graph, clock, parallel(in_flight, 2));
      const auto report = executor->run(cycles(20), &capture);
      REQUIRE(report.failure);
      CHECK(report.failure->task_id == "probe");
      CHECK(report.failure->cl_id == 6);
      CHECK(report.failure->phase == (std::string_view(hook) == "pre" ? "preprocess" : "postprocess"));
      CHECK(report.failure->message == std::string(hook) + " refused");
      CHECK(report.committed == 6);
      CHECK(capture.stream.size() == 6);
    }
  }
  testing_tasks::CallLog::instance().take();
  testing_tasks::Collected::instance().clear();
}

TEST_CASE("runtime.parallel.failure.logged_run_is_closed_cleanly_with_0_to_k_minus_1") {
  copper::Graph graph = require_graph(R"({"tasks": [
      {"id": "src", "type": "test/hist_source"},
      {"id": "bad", "type": "test/fail_at", "params": {"at": 123}},
      {"id": "out", "type": "test/hist_sink1"}],
    "connections": [{"from": "src", "to": "bad"}, {"from": "bad", "to": "out"}]})");
  const copper_test::ScratchDir dir("copper_parallel_failure");
  const auto path = dir / "run.copper";
  copper::log::WriterOptions options;
  options.path = path;
  options.overwrite = true;
  options.fsync = copper::log::FsyncPolicy::none();
  auto writer = copper::log::LogWriter::create(options, graph);
  REQUIRE_MESSAGE(writer.ok(), writer.error_message());
  copper::MonotonicClock clock;
  const auto report = ParallelExecutor(graph, clock, parallel(8, 2)).run(cycles(1000), writer->get());
  REQUIRE(report.failure);
  CHECK(report.committed == 123);
  REQUIRE((*writer)->close(copper::to_string(report.reason)).ok());
  writer->reset();

  auto reader = copper::log::LogReader::open(path);
  REQUIRE_MESSAGE(reader.ok(), reader.error_message());
  CHECK(reader->header().clean_close);
  CHECK(reader->check().clean());
  std::vector<uint64_t> ids;
  reader->for_each_copperlist([&](const copper::log::CopperListView& cl) {
    ids.push_back(cl.id);
    return true;
  });
  REQUIRE(ids.size() == 123);
  for (size_t i = 0; i < ids.size(); ++i) CHECK(ids[i] == i);
}

TEST_CASE("runtime.parallel.failure.commit_error_stops_the_run") {
  copper::Graph graph = require_graph(testing_tasks::random_dag_config(5, 8));
  struct FailingSink final : copper::CommitSink {
    copper::Status commit(const copper::CopperList& cl) override {
      return cl.id == 20 ? copper::Status::error("disk on fire") : copper::Status();
    }
  } sink;
  copper::ManualClock clock;
  const auto report = ParallelExecutor(graph, clock, parallel(8, 2)).run(cycles(100), &sink);
  REQUIRE(report.failure);
  CHECK(report.failure->phase == "commit");
  CHECK(report.failure->cl_id == 20);
  CHECK(report.reason == StopReason::commit_failed);
  CHECK(report.committed == 20);
}

TEST_CASE("runtime.parallel.failure.start_failure_runs_nothing") {
  copper::Graph graph = require_graph(R"({"tasks": [
      {"id": "src", "type": "test/counter", "params": {"step": 1}},
      {"id": "p", "type": "test/probe", "params": {"fail_start": true}},
      {"id": "out", "type": "test/collect"}],
    "connections": [{"from": "src", "to": "p"}, {"from": "p", "to": "out"}]})");
  testing_tasks::CallLog::instance().take();
  copper::ManualClock clock;
  const auto report = ParallelExecutor(graph, clock, parallel(4, 2)).run(cycles(10));
  REQUIRE(report.failure);
  CHECK(report.failure->phase == "start");
  CHECK(report.committed == 0);
  const auto calls = testing_tasks::CallLog::instance().take();
  CHECK(calls == std::vector<std::string>{"p:start:0"});
}

namespace {

// Regression: a feed that threw on a parallel worker was std::terminate; a
// sink that threw in the serial executor skipped stop() of every task.
class ThrowingFeed final : public copper::AdmissionFeed {
 public:
  bool admit(copper::CopperList& cl) override {
    if (cl.id == 6) throw std::runtime_error("recorded input unreadable");
    return true;
  }
};

class ThrowingSink final : public copper::CommitSink {
 public:
  copper::Status commit(const copper::CopperList& cl) override {
    if (cl.id == 4) throw std::runtime_error("sink exploded");
    return {};
  }
};

constexpr std::string_view kProbeChain = R"({"tasks": [
    {"id": "src", "type": "test/counter", "params": {"step": 1}},
    {"id": "p", "type": "test/probe"},
    {"id": "out", "type": "test/collect"}],
  "connections": [{"from": "src", "to": "p"}, {"from": "p", "to": "out"}]})";

std::unique_ptr<copper::Executor> executor_for(bool parallel_mode, copper::Graph& graph, const copper::Clock& clock) {
  if (parallel_mode) return std::make_unique<ParallelExecutor>(graph, clock, parallel(4, 2));
  return std::make_unique<copper::SerialExecutor>(graph, clock);
}

}  // namespace

TEST_CASE("runtime.failure.throwing_feed_ends_admission_in_both_executors") {
  for (const bool parallel_mode : {false, true}) {
    INFO("parallel " << parallel_mode);
    copper::Graph graph = require_graph(kProbeChain);
    copper::ManualClock clock;
    ThrowingFeed feed;
    StreamCapture capture;
    auto executor = executor_for(parallel_mode, graph, clock);
    executor->set_admission_feed(&feed);
    testing_tasks::CallLog::instance().take();
    const auto report = executor->run(cycles(100), &capture);
    REQUIRE(report.failure);
    CHECK(report.failure->phase == "admit");
    CHECK(report.failure->cl_id == 6);
    CHECK(report.failure->describe() == "admitting copperlist 6 failed: threw: recorded input unreadable");
    CHECK(report.reason == StopReason::input_ended);
    CHECK(report.committed == 6);
    CHECK(capture.stream.size() == 6);
    const auto calls = testing_tasks::CallLog::instance().take();
    CHECK(std::count(calls.begin(), calls.end(), "p:stop:6") == 1);
  }
}

TEST_CASE("runtime.failure.throwing_sink_still_stops_every_task_in_both_executors") {
  for (const bool parallel_mode : {false, true}) {
    INFO("parallel " << parallel_mode);
    copper::Graph graph = require_graph(kProbeChain);
    copper::ManualClock clock;
    ThrowingSink sink;
    testing_tasks::CallLog::instance().take();
    const auto report = executor_for(parallel_mode, graph, clock)->run(cycles(100), &sink);
    REQUIRE(report.failure);
    CHECK(report.failure->phase == "commit");
    CHECK(report.failure->cl_id == 4);
    CHECK(report.failure->message == "threw: sink exploded");
    CHECK(report.reason == StopReason::commit_failed);
    CHECK(report.committed == 4);
    const auto calls = testing_tasks::CallLog::instance().take();
    CHECK(std::count_if(calls.begin(), calls.end(), [](const std::string& c) { return c.starts_with("p:stop:"); }) == 1);
  }
}
