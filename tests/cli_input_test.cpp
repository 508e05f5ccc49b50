// The three tools on bad input (issue 19, items 9 to 13): numeric flags
// that mean nothing, configs that are not regular files or that overflow,
// logs whose metadata is unreadable or nests too deep, times at the ends
// of int64. Each gives an error naming what is wrong and exit 2, or a
// correct answer: never a crash, a hang or a silent wrong run.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fixtures/command.hpp"
#include "fixtures/crafted_logs.hpp"
#include "fixtures/explained.hpp"
#include "fixtures/scratch_dir.hpp"

namespace {

using testing_tasks::contains;
using testing_tasks::Outcome;

const std::string kRecord = COPPER_RECORD_PATH;
const std::string kReplay = COPPER_REPLAY_PATH;
const std::string kLog = COPPER_LOG_PATH;
const std::string kRover = std::string(COPPER_SOURCE_DIR) + "/examples/rover.json";
const std::string kClean = std::string(COPPER_CORPUS_DIR) + "/clean.copper";

// A hung tool fails the test instead of hanging it.
Outcome run(const std::string& command) { return testing_tasks::run_command("timeout 60 " + command); }

}  // namespace

TEST_CASE("cli.regression.numeric_flags_refuse_what_they_cannot_mean") {
  struct Case {
    std::string command;
    const char* flag;
  };
  const std::string record = kRecord + " --config " + kRover + " ";
  const std::vector<Case> cases = {
      {record + "--cycles -1", "--cycles"},
      {record + "--cycles 18446744073709551616", "--cycles"},
      {record + "--cycles 99999999999999999999999", "--cycles"},
      {record + "--cycles 1e3", "--cycles"},
      {record + "--cycles 0x10", "--cycles"},
      {record + "--duration inf", "--duration"},
      {record + "--duration nan", "--duration"},
      {record + "--duration -1", "--duration"},
      {record + "--duration 1e300", "--duration"},
      {record + "--duration 5s", "--duration"},
      {record + "--rate -5", "--rate"},
      {record + "--rate nan", "--rate"},
      {record + "--rate inf", "--rate"},
      {record + "--rate 1e-300", "--rate"},
      {record + "--max-in-flight 0", "--max-in-flight"},
      {record + "--threads -1", "--threads"},
      {record + "--fsync interval:18446744073709551615", "--fsync"},
      {record + "--fsync bytes:-1", "--fsync"},
      {record + "--compress zstd:99", "--compress"},
      {kReplay + " " + kClean + " --from -1", "--from"},
      {kReplay + " " + kClean + " --to -3", "--to"},
      {kReplay + " " + kClean + " --to 18446744073709551616", "--to"},
      {kReplay + " " + kClean + " --max-in-flight 0", "--max-in-flight"},
      {kLog + " export " + kClean + " --from -1", "--from"},
      {kLog + " export " + kClean + " --to -3", "--to"},
      {kLog + " stats " + kClean + " --from 1.5", "--from"},
      {kLog + " trace " + kClean + " -o /dev/null --to nan", "--to"},
      {kLog + " recover " + kClean + " -o /dev/null --compress zstd:-1", "--compress"},
  };
  for (const auto& c : cases) {
    const Outcome outcome = run(c.command);
    CAPTURE(c.command);
    INFO(outcome.output);
    CHECK(outcome.exit_code == 2);
    CHECK(contains(outcome.output, c.flag));
    CHECK(outcome.output.find("cycles in") == std::string::npos);  // nothing ran
  }
}

TEST_CASE("cli.numeric_flags_take_what_they_mean") {
  const Outcome recorded = run(kRecord + " --config " + kRover + " --cycles 0005 --duration 30 --rate 100000 -q");
  INFO(recorded.output);
  CHECK(recorded.exit_code == 0);
  const Outcome counted = run(kRecord + " --config " + kRover + " --cycles 7 --rate 0");
  CHECK(contains(counted.output, "7 cycles"));
  const Outcome exported = run(kLog + " export " + kClean + " --format jsonl --from 010 --to 12");
  CHECK(exported.exit_code == 0);
  CHECK(std::count(exported.output.begin(), exported.output.end(), '\n') == 3);
  CHECK(contains(exported.output, R"({"id":10,)"));
}

TEST_CASE("cli.record.regression.config_1e400_exits_2_not_134") {
  const copper_test::ScratchDir dir("cli_input_1e400");
  std::ofstream(dir / "c.json") << R"({"plugins": ["rover"], "tasks": [{"id": "a", "type": "rover/imu"}],
                                     "runtime": {"rate_hz": 1e400}})";
  const Outcome outcome = run(kRecord + " --check --config " + (dir / "c.json").string());
  INFO(outcome.output);
  CHECK(outcome.exit_code == 2);
  CHECK(contains(outcome.output, "number overflow parsing '1e400' at runtime.rate_hz"));
}

TEST_CASE("cli.record.regression.doc_nested_100k_levels_fails_check_and_never_records") {
  const copper_test::ScratchDir dir("cli_input_deep");
  std::ofstream(dir / "c.json") << R"({"plugins": ["rover"], "tasks": [{"id": "a", "type": "rover/imu"}], "doc": )"
                                << std::string(100'000, '[') << std::string(100'000, ']') << "}";
  for (const std::string& extra : {std::string(" --check"), " --cycles 3 -o " + (dir / "run.copper").string()}) {
    const Outcome outcome = run(kRecord + " --config " + (dir / "c.json").string() + extra);
    INFO(outcome.output);
    CHECK(outcome.exit_code == 2);
    CHECK(contains(outcome.output, "nested deeper than 64 levels at doc[0]"));
  }
  CHECK_FALSE(std::filesystem::exists(dir / "run.copper"));
}

TEST_CASE("cli.record.regression.config_on_a_fifo_or_dev_zero_exits_2_at_once") {
  const copper_test::ScratchDir dir("cli_input_fifo");
  const auto fifo = dir / "config.json";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  for (const std::string& path : {fifo.string(), std::string("/dev/zero")}) {
    const Outcome outcome = run(kRecord + " --check --config " + path);
    INFO(outcome.output);
    CHECK(outcome.exit_code == 2);  // timeout's 124 when it blocks
    CHECK(contains(outcome.output, "not a config file: a config file must be a regular file"));
  }
}

TEST_CASE("cli.regression.deeply_nested_metadata_in_a_log_exits_2_in_every_tool") {
  // A checksummed metadata record 100k levels deep crashed recover and
  // copper-replay (stack overflow): the reader refuses it as damage.
  const copper_test::ScratchDir dir("cli_input_deep_log");
  const auto log = dir / "deep.copper";
  crafted::write_log(log, crafted::deep_metadata(100'000), {crafted::one_task_cl(0, 1000, 1000, 2000)});
  const std::string path = log.string();
  const std::vector<std::string> commands = {
      kLog + " info " + path,
      kLog + " check " + path,
      kLog + " recover " + path + " -o " + (dir / "out.copper").string(),
      kLog + " export " + path,
      kLog + " text " + path,
      kLog + " stats " + path,
      kLog + " trace " + path + " -o " + (dir / "t.json").string(),
      kLog + " diff " + path + " " + kClean,
      kReplay + " " + path,
  };
  for (const auto& command : commands) {
    const Outcome outcome = run(command);
    CAPTURE(command);
    INFO(outcome.output);
    CHECK(outcome.exit_code == 2);
    CHECK(contains(outcome.output, "metadata"));
  }
  CHECK(contains(run(kLog + " check " + path).output, "nested deeper than 128 levels"));
}

TEST_CASE("cli.log.regression.unreadable_metadata_exits_2_in_info_text_stats_trace") {
  // stats counted the copperlists, trace found no span, both exited 0:
  // without metadata nothing decodes, and every decoding subcommand says so.
  const copper_test::ScratchDir dir("cli_input_no_metadata");
  const auto log = dir / "no_metadata.copper";
  std::vector<log_bytes::ClEntry> cls;
  for (uint64_t id = 0; id < 20; ++id) cls.push_back(crafted::one_task_cl(id, 1000 * id, 1000 * id, 1000 * id + 5));
  crafted::write_log(log, "{\"tasks\": [oops", cls);
  const std::string path = log.string();
  for (const char* command : {"info", "text", "stats", "export"}) {
    const Outcome outcome = run(kLog + " " + command + " " + path);
    CAPTURE(command);
    INFO(outcome.output);
    CHECK(outcome.exit_code == 2);
    CHECK(contains(outcome.output, "the metadata record is unreadable"));
  }
  const Outcome trace = run(kLog + " trace " + path + " -o " + (dir / "t.json").string());
  CHECK(trace.exit_code == 2);
  CHECK(contains(trace.output, "the metadata record is unreadable"));
  CHECK(contains(run(kLog + " info " + path).output, "format:"));  // info still shows what the file says
}

TEST_CASE("cli.log.stats_and_trace_count_the_same_copperlists") {
  const copper_test::ScratchDir dir("cli_input_stats_trace");
  const Outcome stats = run(kLog + " stats --json " + kClean);
  REQUIRE(stats.exit_code == 0);
  const auto count = nlohmann::json::parse(stats.output)["copperlists"].get<uint64_t>();
  const Outcome trace = run(kLog + " trace " + kClean + " -o " + (dir / "t.json").string());
  REQUIRE(trace.exit_code == 0);
  CHECK(contains(trace.output, "spans of " + std::to_string(count) + " copperlists"));
}

TEST_CASE("cli.log.regression.times_at_the_ends_of_int64") {
  // Checksums valid, times absurd: a creation time of INT64_MIN and a task
  // that ran from INT64_MIN to INT64_MAX overflowed info's time formatting
  // and stats' sums (UBSan; a negative mean).
  const copper_test::ScratchDir dir("cli_input_int64");
  const auto log = dir / "extreme.copper";
  crafted::write_log(log, crafted::kOneTaskMetadata,
                     {crafted::one_task_cl(0, INT64_MIN, INT64_MIN, INT64_MAX),
                      crafted::one_task_cl(1, INT64_MAX, INT64_MIN, INT64_MAX)},
                     INT64_MIN);
  const Outcome info = run(kLog + " info --json " + log.string());
  INFO(info.output);
  REQUIRE(info.exit_code == 0);
  const auto info_json = nlohmann::json::parse(info.output);
  CHECK(info_json["created_utc"] == "1677-09-21T00:12:43.145224192Z");  // INT64_MIN ns since 1970
  CHECK(info_json["copperlists"]["duration_ns"].is_null());             // no int64 duration, not a wrapped one
  const Outcome stats = run(kLog + " stats --json " + log.string());
  INFO(stats.output);
  REQUIRE(stats.exit_code == 0);
  const auto process = nlohmann::json::parse(stats.output)["process"]["a"];
  CHECK(process["max_ns"] == INT64_MAX);
  CHECK(process["mean_ns"].get<double>() == doctest::Approx(static_cast<double>(INT64_MAX)));
  CHECK(run(kLog + " trace " + log.string() + " -o " + (dir / "t.json").string()).exit_code == 0);
  CHECK(run(kLog + " info " + log.string()).exit_code == 0);
}

TEST_CASE("cli.replay.regression.recorded_plugins_of_the_wrong_shape_exit_2") {
  // A plugin entry whose name is a number made nlohmann's value() throw
  // out of copper-replay (abort, exit 134).
  const copper_test::ScratchDir dir("cli_input_plugins");
  const auto log = dir / "plugins.copper";
  crafted::write_log(log, R"({"plugins": [{"name": 5, "path": 7, "xxh3": [], "task_types": ["no/such"]}],
                              "tasks": [], "slots": []})",
                     {});
  for (const std::string& args : {log.string(), "--list-types " + log.string()}) {
    const Outcome outcome = run(kReplay + " " + args);
    INFO(outcome.output);
    CHECK(outcome.exit_code == 2);
    CHECK(contains(outcome.output, "error: the log was recorded with plugin"));
  }
}
