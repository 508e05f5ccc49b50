// Replay (libcopper/src/replay/): rebuilding, re-executing and comparing.
#include <doctest/doctest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <tuple>

#include <fmt/format.h>

#include "copper/log/reader.hpp"
#include "copper/log/writer.hpp"
#include "copper/registry.hpp"
#include "copper/replay.hpp"
#include "fixtures/crafted_logs.hpp"
#include "fixtures/graph_helpers.hpp"
#include "fixtures/log_damage.hpp"
#include "fixtures/random_graph.hpp"
#include "fixtures/recorded_log.hpp"
#include "fixtures/replay_tasks.hpp"
#include "fixtures/scratch_dir.hpp"
#include "replay/segments.hpp"

using copper::Replay;
using copper::ReplayOptions;
using copper::RunMode;
using testing_tasks::RecordedLog;

namespace {

Replay open(const RecordedLog& log) {
  auto replay = Replay::open(log.path, copper::Registry::global());
  REQUIRE_MESSAGE(replay.ok(), replay.error_message());
  return std::move(*replay);
}

ReplayOptions mode(RunMode run_mode) {
  ReplayOptions options;
  options.mode = run_mode;
  options.parallel.max_in_flight = 8;
  options.parallel.threads = 3;
  return options;
}

copper::ReplayOutcome run(Replay& replay, const ReplayOptions& options) {
  auto outcome = replay.run(options);
  REQUIRE_MESSAGE(outcome.ok(), outcome.error_message());
  return std::move(*outcome);
}

void check_identical(const copper::ReplayOutcome& outcome, uint64_t cycles) {
  INFO((outcome.first_divergence ? outcome.first_divergence->describe() : "no divergence"));
  INFO((outcome.run.failure ? outcome.run.failure->describe() : "no failure"));
  INFO(outcome.input_end);
  CHECK(outcome.identical());
  CHECK(outcome.replayed == cycles);
  CHECK(outcome.compared == cycles);
  CHECK(outcome.input_end.empty());
}

constexpr std::string_view kTunableGraph = R"({"tasks": [
    {"id": "src", "type": "test/hist_source"},
    {"id": "acc", "type": "test/accumulate"},
    {"id": "tune", "type": "test/tunable"},
    {"id": "out", "type": "test/hist_sink1"}],
  "connections": [{"from": "src", "to": "acc"}, {"from": "acc", "to": "tune"}, {"from": "tune", "to": "out"}]})";

}  // namespace

TEST_CASE("replay.identical.rover_in_serial_and_parallel") {
  const RecordedLog log(testing_tasks::read_rover_config(), "replay_rover", 120, 25);
  Replay replay = open(log);
  CHECK(replay.first_cl() == 0);
  CHECK(replay.last_cl() == 119);
  CHECK(replay.damage().empty());
  CHECK(replay.recorded_timing().copperlists == 120);
  const auto serial = run(replay, mode(RunMode::serial));
  check_identical(serial, 120);
  const auto parallel = run(replay, mode(RunMode::parallel));
  check_identical(parallel, 120);
  CHECK(serial.output_hashes == parallel.output_hashes);
  CHECK(serial.timing.copperlists == 120);
}

// Compressed records are decompressed into a buffer the next record reuses,
// so the replay must copy what it keeps; uncompressed ones it reads in place.
TEST_CASE("replay.identical.zstd_log_in_serial_and_parallel") {
  nlohmann::json config = nlohmann::json::parse(testing_tasks::read_rover_config());
  config["logging"] = {{"compress", "zstd:1"}};
  const RecordedLog log(config.dump(), "replay_rover_zstd", 150);
  {
    auto reader = copper::log::LogReader::open(log.path);
    REQUIRE(reader.ok());
    auto cursor = reader->copperlists();
    REQUIRE(cursor.next() != nullptr);
    CHECK_FALSE(cursor.last_in_mapping());
  }
  Replay replay = open(log);
  const auto serial = run(replay, mode(RunMode::serial));
  check_identical(serial, 150);
  const auto parallel = run(replay, mode(RunMode::parallel));
  check_identical(parallel, 150);
  CHECK(serial.output_hashes == parallel.output_hashes);
}

TEST_CASE("replay.identical.random_dags_recorded_serially_and_in_parallel") {
  for (uint32_t seed = 40; seed < 46; ++seed) {
    const std::string json = testing_tasks::random_dag_config(seed, 6 + static_cast<int>(seed % 7));
    INFO("seed " << seed);
    for (bool parallel_recording : {false, true}) {
      const RecordedLog log(json, "replay_dag", 80, 0, parallel_recording);
      Replay replay = open(log);
      check_identical(run(replay, mode(RunMode::serial)), 80);
      check_identical(run(replay, mode(RunMode::parallel)), 80);
    }
  }
}

TEST_CASE("replay.diverged.nondeterministic_task_is_caught") {
  const RecordedLog log(R"({"tasks": [
      {"id": "src", "type": "test/hist_source"},
      {"id": "clocky", "type": "test/wall_clock"},
      {"id": "out", "type": "test/hist_sink1"}],
    "connections": [{"from": "src", "to": "clocky"}, {"from": "clocky", "to": "out"}]})",
                        "replay_wall_clock", 30);
  Replay replay = open(log);
  for (RunMode run_mode : {RunMode::serial, RunMode::parallel}) {
    const auto outcome = run(replay, mode(run_mode));
    CHECK_FALSE(outcome.identical());
    REQUIRE(outcome.first_divergence);
    CHECK(outcome.first_divergence->cl_id == 0);
    CHECK(outcome.first_divergence->task_id == "clocky");
    CHECK(outcome.first_divergence->field_path == "value");
    CHECK(outcome.first_divergence->recorded != outcome.first_divergence->replayed);
    CHECK(outcome.diverged_per_task.at("clocky") == outcome.diverged_cls);
    CHECK(outcome.diverged_cls >= 25);  // nanoseconds of the wall clock repeat only by chance
  }
}

TEST_CASE("replay.diverged.changed_behaviour_names_the_copperlist_and_field") {
  testing_tasks::g_tunable_offset = 0;
  const RecordedLog log(kTunableGraph, "replay_tunable", 60);
  testing_tasks::g_tunable_offset = 5;
  testing_tasks::g_tunable_from_cl = 37;
  Replay replay = open(log);
  const auto outcome = run(replay, mode(RunMode::parallel));
  testing_tasks::g_tunable_offset = 0;
  testing_tasks::g_tunable_from_cl = 0;
  REQUIRE(outcome.first_divergence);
  CHECK(outcome.first_divergence->cl_id == 37);
  CHECK(outcome.first_divergence->task_id == "tune");
  CHECK(outcome.first_divergence->field_path == "value");
  CHECK(outcome.first_divergence->replayed.get<int64_t>() - outcome.first_divergence->recorded.get<int64_t>() == 5);
  CHECK(outcome.diverged_cls == 60 - 37);
  CHECK(outcome.diverged_per_task.size() == 1);
}

// Outputs that match the recording enter a copperlist's hash as "as
// recorded", diverging ones by their bytes: replays agree exactly when their
// outputs do, whether or not they match the recording.
TEST_CASE("replay.diverged.output_hashes_tell_replays_apart_by_their_outputs") {
  testing_tasks::g_tunable_offset = 0;
  const RecordedLog log(kTunableGraph, "replay_tunable_hashes", 50);
  Replay replay = open(log);
  auto hashes_with_offset = [&](int64_t offset, RunMode run_mode) {
    testing_tasks::g_tunable_offset = offset;
    testing_tasks::g_tunable_from_cl = 20;
    const auto outcome = run(replay, mode(run_mode));
    testing_tasks::g_tunable_offset = 0;
    testing_tasks::g_tunable_from_cl = 0;
    CHECK(outcome.diverged_cls == (offset == 0 ? 0 : 30));
    return outcome.output_hashes;
  };
  const auto as_recorded = hashes_with_offset(0, RunMode::serial);
  const auto plus5_serial = hashes_with_offset(5, RunMode::serial);
  const auto plus5_parallel = hashes_with_offset(5, RunMode::parallel);
  const auto plus6_parallel = hashes_with_offset(6, RunMode::parallel);
  REQUIRE(as_recorded.size() == 50);
  REQUIRE(plus5_serial.size() == 50);
  REQUIRE(plus6_parallel.size() == 50);
  CHECK(plus5_serial == plus5_parallel);
  for (size_t cl = 0; cl < 50; ++cl) {
    CAPTURE(cl);
    CHECK((plus5_serial[cl] == as_recorded[cl]) == (cl < 20));
    CHECK((plus5_serial[cl] == plus6_parallel[cl]) == (cl < 20));
  }
}

TEST_CASE("replay.from.keyframe_start_matches_the_full_replay") {
  const RecordedLog log(kTunableGraph, "replay_from", 100, 10);
  Replay replay = open(log);
  const auto full = run(replay, mode(RunMode::serial));
  check_identical(full, 100);
  for (RunMode run_mode : {RunMode::serial, RunMode::parallel}) {
    ReplayOptions options = mode(run_mode);
    options.from = 35;
    const auto partial = run(replay, options);
    REQUIRE(partial.started_at == std::optional<uint64_t>(30));
    CHECK(partial.identical());
    CHECK(partial.replayed == 70);
    CHECK(partial.compared == 65);
    REQUIRE(partial.output_hashes.size() == 70);
    CHECK(std::equal(partial.output_hashes.begin(), partial.output_hashes.end(), full.output_hashes.begin() + 30));
  }
  ReplayOptions bounded = mode(RunMode::serial);
  bounded.from = 50;
  bounded.to = 59;
  const auto window = run(replay, bounded);
  CHECK(window.identical());
  CHECK(window.replayed == 10);
  CHECK(window.compared == 10);
}

TEST_CASE("replay.from.task_without_thaw_is_named") {
  const RecordedLog log(R"({"tasks": [
      {"id": "src", "type": "test/counter", "params": {"step": 1}},
      {"id": "memoryless", "type": "test/probe"},
      {"id": "out", "type": "test/collect"}],
    "connections": [{"from": "src", "to": "memoryless"}, {"from": "memoryless", "to": "out"}]})",
                        "replay_no_thaw", 40, 10);
  Replay replay = open(log);
  ReplayOptions options = mode(RunMode::serial);
  options.from = 25;
  auto outcome = replay.run(options);
  REQUIRE_FALSE(outcome.ok());
  CHECK(std::string(outcome.error_message()).find("\"memoryless\"") != std::string::npos);
  CHECK(std::string(outcome.error_message()).find("freeze/thaw") != std::string::npos);
}

TEST_CASE("replay.damaged.replays_what_is_intact_and_says_where_it_stopped") {
  const RecordedLog log(kTunableGraph, "replay_damaged", 200);
  // Zero a stretch in the middle of the file: some copperlists are lost.
  const auto size = std::filesystem::file_size(log.path);
  {
    std::fstream file(log.path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(size / 2));
    const std::string zeros(512, '\0');
    file.write(zeros.data(), static_cast<std::streamsize>(zeros.size()));
  }
  Replay replay = open(log);
  CHECK_FALSE(replay.damage().empty());
  REQUIRE(replay.first_missing_cl());
  const uint64_t missing = *replay.first_missing_cl();
  const auto outcome = run(replay, mode(RunMode::parallel));
  CHECK(outcome.identical());
  CHECK(outcome.replayed == missing);
  CHECK(outcome.input_end.find(fmt::format("no copperlist {}", missing)) != std::string::npos);
  CHECK(outcome.run.reason == copper::StopReason::input_ended);
}

TEST_CASE("replay.damaged.truncated_log_replays_every_whole_copperlist") {
  const RecordedLog log(kTunableGraph, "replay_truncated", 150);
  std::filesystem::resize_file(log.path, std::filesystem::file_size(log.path) * 2 / 3);
  Replay replay = open(log);
  REQUIRE(replay.last_cl());
  const auto outcome = run(replay, mode(RunMode::serial));
  CHECK(outcome.identical());
  CHECK(outcome.replayed == *replay.last_cl() + 1);
  CHECK(outcome.replayed > 50);
  // Reaching the last intact copperlist of a cut log is said, not taken as
  // the recording's end.
  CHECK(outcome.input_end.find(fmt::format("copperlist {} is the last intact one", *replay.last_cl())) !=
        std::string::npos);
}

TEST_CASE("replay.range.outside_the_log_is_an_error") {
  const RecordedLog log(kTunableGraph, "replay_range", 20, 10);
  Replay replay = open(log);
  ReplayOptions past = mode(RunMode::serial);
  past.from = 20;
  auto outcome = replay.run(past);
  REQUIRE_FALSE(outcome.ok());
  CHECK(std::string(outcome.error_message()).find("copperlist 20 (from) is past the log's last one, 19") !=
        std::string::npos);
  ReplayOptions last = mode(RunMode::parallel);
  last.from = 19;
  const auto tail = run(replay, last);
  CHECK(tail.identical());
  CHECK(tail.compared == 1);
  CHECK(tail.input_end.empty());
}

TEST_CASE("replay.open.errors") {
  SUBCASE("every unknown task type is listed") {
    const RecordedLog log(kTunableGraph, "replay_unknown", 5);
    copper::Registry empty;
    auto replay = Replay::open(log.path, empty);
    REQUIRE_FALSE(replay.ok());
    const std::string message(replay.error_message());
    for (const char* type : {"test/hist_source", "test/accumulate", "test/tunable", "test/hist_sink1"})
      CHECK(message.find(type) != std::string::npos);
  }
  SUBCASE("not a log") {
    const copper_test::ScratchDir dir("replay_not_a_log");
    const auto path = dir / "not_a_log.copper";
    std::ofstream(path) << "hello, this is not a copper log, but it is long enough to have a header: ............";
    auto replay = Replay::open(path, copper::Registry::global());
    CHECK_FALSE(replay.ok());
    CHECK(std::string(replay.error_message()).find("not a copper log") != std::string::npos);
  }
  SUBCASE("missing file") {
    auto replay = Replay::open("/nonexistent/run.copper", copper::Registry::global());
    CHECK_FALSE(replay.ok());
  }
}

TEST_CASE("replay.output_log_is_a_log_of_the_replay") {
  const RecordedLog log(kTunableGraph, "replay_source_log", 50, 10);
  Replay replay = open(log);
  ReplayOptions options = mode(RunMode::parallel);
  const copper_test::ScratchDir dir("replay_written");
  options.output = dir / "written.copper";
  options.overwrite_output = true;
  check_identical(run(replay, options), 50);
  // The replay of the replay is identical too, and its payloads are those
  // of the recording.
  auto again = Replay::open(options.output, copper::Registry::global());
  REQUIRE_MESSAGE(again.ok(), again.error_message());
  check_identical(run(*again, mode(RunMode::serial)), 50);
  auto original = copper::log::LogReader::open(log.path);
  auto written = copper::log::LogReader::open(options.output);
  REQUIRE(original.ok());
  REQUIRE(written.ok());
  CHECK(written->check().clean());
  CHECK(written->check().keyframes == 5);
  auto a = original->copperlists();
  auto b = written->copperlists();
  uint64_t count = 0;
  while (const auto* cl = a.next()) {
    const auto* other = b.next();
    REQUIRE(other != nullptr);
    CHECK(cl->id == other->id);
    CHECK(cl->time_ns == other->time_ns);
    REQUIRE(cl->slots.size() == other->slots.size());
    for (size_t s = 0; s < cl->slots.size(); ++s)
      CHECK(std::equal(cl->slots[s].bytes.begin(), cl->slots[s].bytes.end(), other->slots[s].bytes.begin(),
                       other->slots[s].bytes.end()));
    ++count;
  }
  CHECK(b.next() == nullptr);
  CHECK(count == 50);
  std::filesystem::remove(options.output);
}

// Issue 19 item 5: with copperlist 0 damaged, the replay started at
// copperlist 1 with fresh task state and called every copperlist diverged.
TEST_CASE("replay.regression.damaged_first_copperlist_restarts_at_a_keyframe_not_diverged") {
  const RecordedLog log(kTunableGraph, "replay_damaged_first_kf", 100, 10);
  testing_tasks::damage_copperlist(log.path, 0);
  Replay replay = open(log);
  REQUIRE(replay.first_cl() == std::optional<uint64_t>(1));
  for (RunMode run_mode : {RunMode::serial, RunMode::parallel}) {
    const auto outcome = run(replay, mode(run_mode));
    INFO((outcome.first_divergence ? outcome.first_divergence->describe() : "no divergence"));
    CHECK(outcome.identical());
    CHECK(outcome.diverged_cls == 0);
    CHECK(outcome.started_at == std::optional<uint64_t>(10));
    CHECK(outcome.replayed == 90);
    CHECK(outcome.compared == 90);
    REQUIRE(outcome.skipped.size() == 1);
    CHECK(outcome.skipped[0].first == 1);
    CHECK(outcome.skipped[0].last == 9);
    CHECK(outcome.skipped[0].why.find("copperlist 0 is missing") != std::string::npos);
    CHECK(outcome.skipped[0].why.find("keyframe at copperlist 10") != std::string::npos);
  }
}

TEST_CASE("replay.regression.damaged_first_copperlist_without_keyframes_is_an_error_not_a_divergence") {
  const RecordedLog log(kTunableGraph, "replay_damaged_first", 60);
  testing_tasks::damage_copperlist(log.path, 0);
  Replay replay = open(log);
  REQUIRE(replay.first_cl() == std::optional<uint64_t>(1));
  auto outcome = replay.run(mode(RunMode::serial));
  REQUIRE_FALSE(outcome.ok());
  const std::string error(outcome.error_message());
  CHECK(error.find("copperlist 0 is missing") != std::string::npos);
  CHECK(error.find("no copperlist can be replayed with the tasks in a known state") != std::string::npos);
}

// A gap in the middle: the replay never runs tasks across it with the
// state they had before it; it restarts at the next keyframe after it.
TEST_CASE("replay.regression.gap_in_the_middle_restarts_at_the_next_keyframe") {
  const RecordedLog log(kTunableGraph, "replay_gap_kf", 100, 10);
  testing_tasks::damage_copperlist(log.path, 45);
  Replay replay = open(log);
  REQUIRE(replay.first_missing_cl() == std::optional<uint64_t>(45));
  const copper_test::ScratchDir dir("replay_gap_kf_out");
  for (RunMode run_mode : {RunMode::serial, RunMode::parallel}) {
    ReplayOptions options = mode(run_mode);
    options.output = dir / "replayed.copper";
    options.overwrite_output = true;
    const auto outcome = run(replay, options);
    CHECK(outcome.identical());
    CHECK(outcome.replayed == 45 + 50);
    CHECK(outcome.compared == 45 + 50);
    CHECK_FALSE(outcome.started_at);  // the first segment starts with the recording
    REQUIRE(outcome.skipped.size() == 1);
    CHECK(outcome.skipped[0].first == 46);
    CHECK(outcome.skipped[0].last == 49);
    CHECK(outcome.replayed_ranges == std::vector<std::pair<uint64_t, uint64_t>>{{0, 44}, {50, 99}});
    // The replay's own log holds what ran: 0..44 and 50..99.
    auto written = copper::log::LogReader::open(options.output);
    REQUIRE(written.ok());
    CHECK(written->check().cl_count == 95);
    CHECK(written->check().missing_cls == std::vector<std::pair<uint64_t, uint64_t>>{{45, 49}});
  }
}

TEST_CASE("replay.regression.gap_in_the_middle_without_keyframes_stops_at_the_gap") {
  const RecordedLog log(kTunableGraph, "replay_gap", 100);
  testing_tasks::damage_copperlist(log.path, 45);
  Replay replay = open(log);
  const auto outcome = run(replay, mode(RunMode::serial));
  CHECK(outcome.identical());
  CHECK(outcome.replayed == 45);
  CHECK(outcome.input_end.find("no copperlist 45") != std::string::npos);
  REQUIRE(outcome.skipped.size() == 1);
  CHECK(outcome.skipped[0].first == 46);
  CHECK(outcome.skipped[0].last == 99);
  CHECK(outcome.skipped[0].why.find("no keyframe follows") != std::string::npos);
}

TEST_CASE("replay.segments.plan") {
  using copper::replay::LogShape;
  using copper::replay::plan_segments;
  using copper::replay::Segment;
  auto spans = [](const copper::replay::SegmentPlan& plan) {
    std::vector<std::tuple<uint64_t, uint64_t, bool>> out;
    for (const Segment& s : plan.segments) out.emplace_back(s.first, s.last, s.thaw);
    return out;
  };
  using Spans = std::vector<std::tuple<uint64_t, uint64_t, bool>>;
  const LogShape gappy{{{0, 44}, {46, 99}}, {0, 10, 20, 30, 40, 50, 60, 70, 80, 90}, {}, true};
  SUBCASE("a gap restarts at the next keyframe") {
    auto plan = plan_segments(gappy, std::nullopt, std::nullopt);
    REQUIRE(plan.ok());
    CHECK(spans(*plan) == Spans{{0, 44, false}, {50, 99, true}});
  }
  SUBCASE("a stateless graph runs every stretch") {
    LogShape stateless = gappy;
    stateless.stateful = false;
    stateless.keyframes.clear();
    auto plan = plan_segments(stateless, std::nullopt, std::nullopt);
    REQUIRE(plan.ok());
    CHECK(spans(*plan) == Spans{{0, 44, false}, {46, 99, false}});
    CHECK(plan->skipped.empty());
  }
  SUBCASE("from starts at the last keyframe before it, in its stretch") {
    auto plan = plan_segments(gappy, 57, 75);
    REQUIRE(plan.ok());
    CHECK(spans(*plan) == Spans{{50, 75, true}});
    CHECK(plan->skipped.empty());
    auto in_gap = plan_segments(gappy, 47, std::nullopt);
    REQUIRE(in_gap.ok());
    CHECK(spans(*in_gap) == Spans{{50, 99, true}});
    REQUIRE(in_gap->skipped.size() == 1);
    CHECK(in_gap->skipped[0].first == 47);
  }
  SUBCASE("from with no keyframe in its stretch is an error") {
    const LogShape sparse{{{0, 44}, {46, 99}}, {0, 50}, {}, true};
    auto plan = plan_segments(sparse, 48, std::nullopt);  // 46..49 cannot be started
    REQUIRE(plan.ok());
    CHECK(spans(*plan) == Spans{{50, 99, true}});
    auto none = plan_segments(LogShape{{{0, 99}}, {}, {}, true}, 30, std::nullopt);
    REQUIRE_FALSE(none.ok());
    CHECK(std::string(none.error_message()).find("no keyframe at or before copperlist 30") != std::string::npos);
  }
  SUBCASE("keyframes that cannot restore a task do not restart a replay") {
    LogShape frozen_out{{{0, 44}, {46, 99}}, {}, {{50, "task \"x\" (t) has no state ... freeze/thaw"}}, true};
    auto plan = plan_segments(frozen_out, std::nullopt, std::nullopt);
    REQUIRE(plan.ok());
    CHECK(spans(*plan) == Spans{{0, 44, false}});
    REQUIRE(plan->skipped.size() == 1);
    CHECK(plan->skipped[0].why.find("cannot restore it (task \"x\"") != std::string::npos);
    auto after_gap = plan_segments(frozen_out, 60, std::nullopt);
    REQUIRE_FALSE(after_gap.ok());
    CHECK(std::string(after_gap.error_message()).find("no copperlist can be replayed") != std::string::npos);
    CHECK(std::string(after_gap.error_message()).find("freeze/thaw") != std::string::npos);
    const LogShape whole{{{0, 99}}, {}, {{20, "task \"x\" (t) ... freeze/thaw"}}, true};
    auto from = plan_segments(whole, 30, std::nullopt);
    REQUIRE_FALSE(from.ok());
    CHECK(std::string(from.error_message()).find("freeze/thaw, so --from cannot start mid-log") != std::string::npos);
  }
  SUBCASE("present ranges") {
    CHECK(copper::replay::present_ranges(1, 99, {{45, 45}, {60, 62}}) ==
          std::vector<std::pair<uint64_t, uint64_t>>{{1, 44}, {46, 59}, {63, 99}});
    CHECK(copper::replay::present_ranges(0, 10, {}) == std::vector<std::pair<uint64_t, uint64_t>>{{0, 10}});
  }
}

TEST_CASE("replay.regression.metadata_of_the_wrong_shape_is_an_error_not_a_crash") {
  // Checksummed metadata a writer never makes: nlohmann's value() threw
  // type_error out of Replay::open, and copper-replay aborted (exit 134).
  const RecordedLog recorded(kTunableGraph, "replay_bad_metadata", 5);
  auto reader = copper::log::LogReader::open(recorded.path);
  REQUIRE(reader.ok());
  const nlohmann::json good = reader->metadata();
  CHECK(Replay::open(recorded.path, copper::Registry::global()).ok());
  const std::vector<std::pair<const char*, nlohmann::json>> bad = {
      {"/logging", 5}, {"/slots/0", "slot"}, {"/slots/0/producer", 7}, {"/slots/1/type", nullptr}};
  const copper_test::ScratchDir dir("replay_bad_metadata_out");
  for (const auto& [pointer, value] : bad) {
    CAPTURE(pointer);
    nlohmann::json metadata = good;
    metadata[nlohmann::json::json_pointer(pointer)] = value;
    crafted::write_log(dir / "bad.copper", metadata.dump(), {});
    copper::Result<Replay> replay = copper::Status::error("not opened");
    CHECK_NOTHROW(replay = Replay::open(dir / "bad.copper", copper::Registry::global()));
    CHECK_FALSE(replay.ok());
  }
}

// Found while fuzzing: a string field holds whatever bytes a task put in
// it, and describing a divergence in one that is not UTF-8 threw
// (nlohmann's dump refuses such strings), ending copper-replay with abort.
TEST_CASE("replay.regression.divergence_in_a_string_that_is_not_utf8_is_described") {
  copper::Divergence divergence;
  divergence.cl_id = 3;
  divergence.task_id = "text";
  divergence.field_path = "text";
  divergence.recorded = std::string("ok");
  divergence.replayed = std::string("\xff\xfe");
  divergence.fields = {{"text", divergence.recorded, divergence.replayed}};
  divergence.field_count = 1;
  std::string text;
  CHECK_NOTHROW(text = divergence.describe());
  INFO(text);
  CHECK(text.find("recorded \"ok\", replayed \"\xEF\xBF\xBD\xEF\xBF\xBD\"") != std::string::npos);
}
