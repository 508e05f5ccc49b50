// The failure record (record type 12): a run that stops because a task
// failed in a copperlist keeps that copperlist, with the error, so a replay
// can feed it again and reproduce the failure; serial and parallel alike.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "copper/log/reader.hpp"
#include "copper/log/writer.hpp"
#include "copper/message.hpp"
#include "copper/replay.hpp"
#include "copper/runtime.hpp"
#include "fixtures/graph_helpers.hpp"
#include "fixtures/scratch_dir.hpp"
#include "fixtures/test_tasks.hpp"

namespace {

// counter (step 3) -> fail_at (copperlist 7, an error status) -> collect
constexpr std::string_view kFailingGraph = R"({"tasks": [
    {"id": "a", "type": "test/counter", "params": {"step": 3}},
    {"id": "f", "type": "test/fail_at", "params": {"at": 7, "mode": "status"}},
    {"id": "out", "type": "test/collect"}],
  "connections": [{"from": "a", "to": "f"}, {"from": "f", "to": "out"}]})";

copper::RunReport record_failing(const std::filesystem::path& path, copper::RunMode mode) {
  auto built = testing_tasks::build_graph(kFailingGraph);
  REQUIRE(built.graph);
  copper::log::WriterOptions options;
  options.path = path;
  options.fsync = copper::log::FsyncPolicy::none();
  auto writer = copper::log::LogWriter::create(options, *built.graph);
  REQUIRE(writer.ok());
  copper::MonotonicClock clock;
  copper::RuntimeConfig runtime;
  runtime.mode = mode;
  runtime.max_in_flight = 4;
  runtime.threads = 2;
  auto executor = copper::make_executor(*built.graph, clock, runtime);
  copper::StopConditions stop;
  stop.cycles = 50;
  const copper::RunReport report = executor->run(stop, writer->get());
  REQUIRE((*writer)->close("task failed").ok());
  return report;
}

}  // namespace

TEST_CASE("log.failure.the_failing_copperlist_is_recorded_with_its_error") {
  for (const copper::RunMode mode : {copper::RunMode::serial, copper::RunMode::parallel}) {
    CAPTURE(copper::to_string(mode));
    const copper_test::ScratchDir dir("log_failure");
    const auto path = dir / "run.copper";
    const copper::RunReport report = record_failing(path, mode);
    REQUIRE(report.failure);
    CHECK(report.committed == 7);

    auto reader = copper::log::LogReader::open(path);
    REQUIRE(reader.ok());
    const copper::log::CheckReport& check = reader->check();
    CHECK(check.clean());
    CHECK(check.cl_count == 7);  // never committed: not a copperlist of the log
    CHECK(check.records_by_type.at("failure") == 1);
    REQUIRE(check.failure);
    const copper::log::RecordedFailure& failure = *check.failure;
    CHECK(failure.task_id == "f");
    CHECK(failure.phase == "process");
    CHECK(failure.message == "injected error status");
    CHECK(failure.cl_id == 7);
    CHECK(failure.describe() == report.failure->describe());
    REQUIRE(failure.tasks.size() == 3);
    CHECK(failure.tasks[0].status == copper::TaskStatus::ok);       // the counter ran
    CHECK(failure.tasks[1].status == copper::TaskStatus::failed);   // fail_at failed
    CHECK(failure.tasks[2].status == copper::TaskStatus::not_run);  // collect never ran
    REQUIRE(failure.slots.size() == 2);
    testing_tasks::Number counted;
    REQUIRE(copper::decode(failure.slots[0], counted).ok());
    CHECK(counted.value == 21);  // the source's output, as a replay feeds it
  }
}

TEST_CASE("log.failure.replay_reproduces_the_recorded_failure") {
  const copper_test::ScratchDir dir("log_failure_replay");
  const auto path = dir / "run.copper";
  record_failing(path, copper::RunMode::serial);
  auto replay = copper::Replay::open(path, copper::Registry::global());
  REQUIRE(replay.ok());
  for (const copper::RunMode mode : {copper::RunMode::serial, copper::RunMode::parallel}) {
    copper::ReplayOptions options;
    options.mode = mode;
    auto outcome = replay->run(options);
    REQUIRE(outcome.ok());
    CHECK(outcome->replayed == 7);
    REQUIRE(outcome->recorded_failure);
    CHECK(outcome->failure_reproduced);
    CHECK(outcome->identical());
  }
  // A range that ends before the failure does not expect it.
  copper::ReplayOptions short_range;
  short_range.to = 5;
  auto outcome = replay->run(short_range);
  REQUIRE(outcome.ok());
  CHECK_FALSE(outcome->recorded_failure);
  CHECK(outcome->identical());
}

TEST_CASE("log.failure.recover_keeps_the_failure_record") {
  const copper_test::ScratchDir dir("log_failure_recover");
  record_failing(dir / "run.copper", copper::RunMode::serial);
  auto original = copper::log::LogReader::open(dir / "run.copper");
  REQUIRE(original.ok());
  auto options = copper::log::WriterOptions();
  options.path = dir / "copy.copper";
  options.fsync = copper::log::FsyncPolicy::none();
  auto writer = copper::log::LogWriter::create_from_metadata(options, original->metadata());
  REQUIRE(writer.ok());
  original->for_each_copperlist([&](const copper::log::CopperListView& cl) {
    REQUIRE((*writer)->commit_recorded(cl).ok());
    return true;
  });
  REQUIRE((*writer)->write_recorded_failure(*original->check().failure).ok());
  REQUIRE((*writer)->close("recovered").ok());
  auto copy = copper::log::LogReader::open(dir / "copy.copper");
  REQUIRE(copy.ok());
  REQUIRE(copy->check().failure);
  const auto& was = *original->check().failure;
  const auto& now = *copy->check().failure;
  CHECK(now.describe() == was.describe());
  CHECK(now.time_ns == was.time_ns);
  CHECK(now.slots == was.slots);
  CHECK(now.tasks.size() == was.tasks.size());
  for (size_t t = 0; t < now.tasks.size(); ++t) CHECK(now.tasks[t].status == was.tasks[t].status);
}

TEST_CASE("log.failure.slots_of_tasks_that_did_not_finish_are_empty") {
  const copper_test::ScratchDir dir("log_failure_slots");
  record_failing(dir / "run.copper", copper::RunMode::serial);
  auto reader = copper::log::LogReader::open(dir / "run.copper");
  REQUIRE(reader.ok());
  const auto& failure = *reader->check().failure;
  REQUIRE(failure.slots.size() == 2);
  CHECK_FALSE(failure.slots[0].empty());  // the counter's, which ran
  CHECK(failure.slots[1].empty());        // fail_at's: it failed, its output is not a message of copperlist 7
}
