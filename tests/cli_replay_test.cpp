// copper-replay as a user runs it: verdicts, exit codes, the JSON report,
// damaged logs. The binary here also knows the fixture task types.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "fixtures/command.hpp"
#include "fixtures/log_damage.hpp"
#include "fixtures/recorded_log.hpp"
#include "fixtures/scratch_dir.hpp"

using testing_tasks::Outcome;
using testing_tasks::RecordedLog;

namespace {

Outcome replay(const std::string& args) { return testing_tasks::run_command(std::string(COPPER_REPLAY_PATH) + " " + args); }

nlohmann::json read_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  REQUIRE(in);
  return nlohmann::json::parse(in);
}

const std::filesystem::path kCorpus = COPPER_CORPUS_DIR;

}  // namespace

TEST_CASE("cli.replay.identical_log_exits_0_with_table_and_report") {
  const RecordedLog log(testing_tasks::read_rover_config(), "cli_replay_rover", 80, 20);
  const copper_test::ScratchDir dir("cli_replay_report");
  const auto report = dir / "report.json";
  const auto outcome = replay(log.path.string() + " --mode both --threads 2 --max-in-flight 4 --report " + report.string());
  INFO(outcome.output);
  CHECK(outcome.exit_code == 0);
  CHECK(outcome.output.find("verdict: identical") != std::string::npos);
  CHECK(outcome.output.find("serial vs parallel: identical") != std::string::npos);
  CHECK(outcome.output.find("features p50/p99/max (us)") != std::string::npos);
  CHECK(outcome.output.find("parallel x4") != std::string::npos);
  const nlohmann::json json = read_json(report);
  CHECK(json["verdict"] == "identical");
  CHECK(json["recorded"]["copperlists"] == 80);
  for (const char* mode : {"serial", "parallel"}) {
    const auto& run = json["replays"][mode];
    CHECK(run["identical"] == true);
    CHECK(run["replayed"] == 80);
    CHECK(run["compared"] == 80);
    CHECK(run["first_divergence"].is_null());
    CHECK(run["timing"]["tasks"].contains("pose"));
    CHECK(run["timing"]["end_to_end"]["count"] == 80);
  }
  CHECK(json["serial_vs_parallel"]["identical"] == true);
}

TEST_CASE("cli.replay.nondeterministic_task_exits_1_and_is_named") {
  const RecordedLog log(R"({"tasks": [
      {"id": "src", "type": "test/hist_source"},
      {"id": "clocky", "type": "test/wall_clock"},
      {"id": "out", "type": "test/hist_sink1"}],
    "connections": [{"from": "src", "to": "clocky"}, {"from": "clocky", "to": "out"}]})",
                        "cli_replay_wall_clock", 20);
  const copper_test::ScratchDir dir("cli_replay_diverged");
  const auto report = dir / "report.json";
  const auto outcome = replay(log.path.string() + " --mode parallel -q --report " + report.string());
  INFO(outcome.output);
  CHECK(outcome.exit_code == 1);
  CHECK(outcome.output.find("first divergence: copperlist 0, task \"clocky\", field value") != std::string::npos);
  CHECK(outcome.output.find("verdict: DIVERGED") != std::string::npos);
  const nlohmann::json json = read_json(report);
  CHECK(json["verdict"] == "diverged");
  const auto& divergence = json["replays"]["parallel"]["first_divergence"];
  CHECK(divergence["cl_id"] == 0);
  CHECK(divergence["task"] == "clocky");
  CHECK(divergence["field"] == "value");
  CHECK(divergence["recorded"] != divergence["replayed"]);
}

TEST_CASE("cli.replay.bad_input_exits_2_with_one_clear_line") {
  const auto dir = std::filesystem::temp_directory_path();
  const std::pair<std::string, const char*> cases[] = {
      {"/nonexistent/run.copper", "/nonexistent/run.copper"},
      {dir.string(), ""},
      {(kCorpus / "empty.copper").string(), "empty"},
      {(kCorpus / "garbage.copper").string(), "not a copper log"},
      {(kCorpus / "wrong_magic.copper").string(), "not a copper log"},
      {(kCorpus / "future_version.copper").string(), "newer"},
      {(kCorpus / "header_only.copper").string(), "metadata"},
  };
  for (const auto& [path, text] : cases) {
    const auto outcome = replay(path);
    INFO(path << "\n" << outcome.output);
    CHECK(outcome.exit_code == 2);
    CHECK(outcome.output.find(text) != std::string::npos);
  }
  const auto unknown = replay("--mode sideways " + (kCorpus / "clean.copper").string());
  CHECK(unknown.exit_code == 2);
}

TEST_CASE("cli.replay.damaged_logs_replay_what_is_intact") {
  struct Case {
    const char* file;
    const char* replayed;
    const char* stopped;  // empty: ran to the end of the recording, nothing to say
  };
  const Case cases[] = {
      {"clean.copper", "200 copperlists replayed", ""},
      {"clean_zstd.copper", "200 copperlists replayed", ""},
      {"unclosed.copper", "150 copperlists replayed", "copperlist 149 is the last one in the log; the log was not"},
      {"truncated_mid_record.copper", "160 copperlists replayed", "copperlist 159 is the last intact one"},
      // Their task "chat" has no freeze/thaw: no keyframe restarts them after the gap.
      {"bitflip_payload.copper", "60 copperlists replayed", "no copperlist 60"},
      {"zeroed_page.copper", "88 copperlists replayed", "no copperlist 88"},
  };
  for (const Case& c : cases) {
    const auto outcome = replay((kCorpus / c.file).string() + " --mode both -q");
    INFO(c.file << "\n" << outcome.output);
    CHECK(outcome.exit_code == 0);
    CHECK(outcome.output.find(c.replayed) != std::string::npos);
    if (*c.stopped)
      CHECK(outcome.output.find(c.stopped) != std::string::npos);
    else
      CHECK(outcome.output.find("stopped reading the log") == std::string::npos);
    // After a gap, the rest is said not to be replayed, not left unsaid.
    CHECK((outcome.output.find("not replayed: copperlists") != std::string::npos) ==
          (std::string(c.stopped).find("no copperlist") != std::string::npos));
  }
}

// Issue 19 item 5, as the user sees it: a damaged copperlist 0 was
// reported as every copperlist diverged (exit 1). With keyframes the replay
// restarts at one and is identical on what it compared (exit 0); without
// (clean.copper's task "chat" has no freeze/thaw) it cannot run: exit 2,
// saying why.
TEST_CASE("cli.replay.regression.damaged_first_copperlist_is_not_a_divergence") {
  const copper_test::ScratchDir dir("cli_replay_damaged_first");
  const auto corpus_copy = dir / "clean.copper";
  std::filesystem::copy_file(kCorpus / "clean.copper", corpus_copy);
  testing_tasks::damage_copperlist(corpus_copy, 0);
  const auto cannot = replay(corpus_copy.string() + " -q");
  INFO(cannot.output);
  CHECK(cannot.exit_code == 2);
  CHECK(cannot.output.find("copperlist 0 is missing") != std::string::npos);
  CHECK(cannot.output.find("DIVERGED") == std::string::npos);

  const RecordedLog log(testing_tasks::read_rover_config(), "cli_replay_damaged_first_kf", 60, 20);
  testing_tasks::damage_copperlist(log.path, 0);
  const auto restarted = replay(log.path.string() + " --mode both -q");
  INFO(restarted.output);
  CHECK(restarted.exit_code == 0);
  CHECK(restarted.output.find("40 copperlists replayed (from the keyframe at copperlist 20)") != std::string::npos);
  CHECK(restarted.output.find("not replayed: copperlists 1..19") != std::string::npos);
}
