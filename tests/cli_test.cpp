// copper-record as a user runs it: exit codes and messages.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "copper/log/reader.hpp"
#include "fixtures/command.hpp"
#include "fixtures/explained.hpp"
#include "fixtures/scratch_dir.hpp"

namespace {

using testing_tasks::Outcome;

Outcome run(const std::string& args) { return testing_tasks::run_command(std::string(COPPER_RECORD_PATH) + " " + args); }

// A config file in a scratch directory of its own, removed at scope exit.
struct TempConfig {
  copper_test::ScratchDir dir{"cli_test"};
  std::filesystem::path path = dir / "config.json";
  explicit TempConfig(std::string_view json) { std::ofstream(path) << json; }
};

}  // namespace

TEST_CASE("cli.record.runs_the_rover_demo") {
  auto outcome = run("--config " COPPER_SOURCE_DIR "/examples/rover.json --cycles 50");
  INFO(outcome.output);
  CHECK(outcome.exit_code == 0);
  CHECK(outcome.output.find("50 cycles") != std::string::npos);
  CHECK(outcome.output.find("p99 us") != std::string::npos);
}

TEST_CASE("cli.record.check_only") {
  auto outcome = run("--config " COPPER_SOURCE_DIR "/examples/rover.json --check");
  INFO(outcome.output);
  CHECK(outcome.exit_code == 0);
  CHECK(outcome.output.find(": ok (") != std::string::npos);
}

TEST_CASE("cli.record.bad_config_exits_2_and_names_the_path") {
  TempConfig config(R"({"plugins": ["rover"], "tasks": [{"id": "a", "type": "rover/imu", "params": {"sed": 1}}]})");
  auto outcome = run("--config " + config.path.string());
  INFO(outcome.output);
  CHECK(outcome.exit_code == 2);
  CHECK(outcome.output.find("tasks[0].params.sed: unknown parameter") != std::string::npos);
}

TEST_CASE("cli.record.malformed_json_exits_2") {
  TempConfig config("{\"tasks\": [\n");
  auto outcome = run("--config " + config.path.string());
  CHECK(outcome.exit_code == 2);
  CHECK(outcome.output.find("malformed JSON at line 2") != std::string::npos);
}

TEST_CASE("cli.record.missing_config_file_exits_2") {
  auto outcome = run("--config /nonexistent/rover.json");
  CHECK(outcome.exit_code == 2);
  CHECK(outcome.output.find("/nonexistent/rover.json") != std::string::npos);
}

TEST_CASE("cli.record.bad_argument_exits_2") {
  CHECK(run("--cycles lots").exit_code == 2);
  CHECK(run("").exit_code == 2);
}

TEST_CASE("cli.record.list_types_names_each_types_plugin") {
  auto outcome = run("--list-types --plugin rover");
  INFO(outcome.output);
  CHECK(outcome.exit_code == 0);
  CHECK(outcome.output.find("rover/pose_estimator") != std::string::npos);
  CHECK(outcome.output.find("plugin rover 1.0.0 (" COPPER_PLUGIN_BUILD_DIR "/rover.so)") != std::string::npos);
  // The config's plugins count too.
  auto with_config = run("--list-types --config " COPPER_SOURCE_DIR "/examples/rover.json");
  CHECK(with_config.output.find("rover/pose_estimator") != std::string::npos);
}

namespace {

// A copper-record of the rover into `path` at 200 Hz with no limit, in a
// child process: stop it with SIGINT.
pid_t start_recording(const std::filesystem::path& path) {
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    const std::string out = path.string();
    execl(COPPER_RECORD_PATH, COPPER_RECORD_PATH, "--config", COPPER_SOURCE_DIR "/examples/rover.json", "--cycles",
          "0", "--rate", "200", "-q", "-o", out.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  return child;
}

}  // namespace

TEST_CASE("cli.record.sigint_closes_the_log_cleanly") {
  const copper_test::ScratchDir dir("copper_sigint");
  const auto path = dir / "run.copper";
  const pid_t child = start_recording(path);
  // Give it time to start recording, then interrupt it as Ctrl-C would.
  usleep(500'000);
  kill(child, SIGINT);
  int status = 0;
  waitpid(child, &status, 0);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  auto reader = copper::log::LogReader::open(path);
  REQUIRE_MESSAGE(reader.ok(), reader.error_message());
  CHECK(reader->header().clean_close);
  CHECK(reader->check().clean());
  CHECK(reader->check().cl_count > 0);
  bool signal_event = false;
  for (const auto& event : reader->check().events) signal_event |= event.kind == copper::log::EventKind::signal;
  CHECK(signal_event);
}

// Issue 19 item 7: a second `copper-record --force` on a log being written
// truncated it and killed the first recorder with SIGBUS.
TEST_CASE("cli.record.regression.second_recorder_on_a_log_is_refused_and_the_first_goes_on") {
  const copper_test::ScratchDir dir("copper_two_recorders");
  const auto path = dir / "run.copper";
  const pid_t child = start_recording(path);
  for (int i = 0; i < 200 && !std::filesystem::exists(path); ++i) usleep(10'000);
  usleep(200'000);
  const auto second =
      run("--config " COPPER_SOURCE_DIR "/examples/rover.json --cycles 5 -q --force -o " + path.string());
  CHECK(second.exit_code == 2);
  CHECK(testing_tasks::contains(
      second.output, "is being written by another process (pid " + std::to_string(child) + ", copper-record)"));
  kill(child, SIGINT);
  int status = 0;
  waitpid(child, &status, 0);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  auto reader = copper::log::LogReader::open(path);
  REQUIRE_MESSAGE(reader.ok(), reader.error_message());
  CHECK(reader->check().clean());
  CHECK(reader->check().cl_count > 0);
}

TEST_CASE("cli.record.regression.force_never_replaces_a_fifo") {
  const copper_test::ScratchDir dir("copper_record_fifo");
  const auto fifo = dir / "fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const auto outcome =
      run("--config " COPPER_SOURCE_DIR "/examples/rover.json --cycles 5 -q --force -o " + fifo.string());
  CHECK(outcome.exit_code == 2);
  CHECK(testing_tasks::contains(outcome.output, "is a FIFO (named pipe): a log is written only over a regular file"));
  CHECK(std::filesystem::is_fifo(fifo));
}

namespace {

// Every slot's bytes of every copperlist, in file order: the payload stream.
std::vector<std::vector<uint8_t>> payload_stream(const std::filesystem::path& path) {
  auto reader = copper::log::LogReader::open(path);
  REQUIRE_MESSAGE(reader.ok(), reader.error_message());
  CHECK(reader->check().clean());
  std::vector<std::vector<uint8_t>> stream;
  uint64_t expected_id = 0;
  reader->for_each_copperlist([&](const copper::log::CopperListView& cl) {
    CHECK(cl.id == expected_id++);
    for (const auto& slot : cl.slots) stream.emplace_back(slot.bytes.begin(), slot.bytes.end());
    return true;
  });
  return stream;
}

}  // namespace

TEST_CASE("cli.record.parallel_log_carries_the_serial_payload_stream") {
  const copper_test::ScratchDir dir("cli_rover");
  const auto serial = dir / "serial.copper";
  const auto parallel = dir / "parallel.copper";
  const std::string common = "--config " COPPER_SOURCE_DIR "/examples/rover.json --cycles 120 --force -q ";
  auto serial_run = run(common + "--mode serial -o " + serial.string());
  INFO(serial_run.output);
  REQUIRE(serial_run.exit_code == 0);
  auto parallel_run = run(common + "--mode parallel --max-in-flight 8 --threads 3 -o " + parallel.string());
  INFO(parallel_run.output);
  REQUIRE(parallel_run.exit_code == 0);
  CHECK(parallel_run.output.find("mode: parallel, max_in_flight 8, threads 3") != std::string::npos);
  const auto serial_stream = payload_stream(serial);
  REQUIRE(serial_stream.size() >= 120);
  CHECK(payload_stream(parallel) == serial_stream);
}

TEST_CASE("cli.record.bad_mode_exits_2") {
  auto outcome = run("--config " COPPER_SOURCE_DIR "/examples/rover.json --mode sideways");
  INFO(outcome.output);
  CHECK(outcome.exit_code == 2);
  CHECK(outcome.output.find("sideways") != std::string::npos);
}

// Issue 19, item 14: --slab-size sets the log's slab size; a bad one exits 2
// naming the flag and the rule.
TEST_CASE("cli.record.regression.slab_size_is_settable_with_a_flag_validated_naming_it") {
  copper_test::ScratchDir dir("cli_test");
  const auto path = dir / "run.copper";
  auto bad =
      run("--config " COPPER_SOURCE_DIR "/examples/rover.json --cycles 5 --slab-size 100KiB -o " + path.string());
  INFO(bad.output);
  CHECK(bad.exit_code == 2);
  CHECK(bad.output.find("--slab-size") != std::string::npos);
  CHECK(bad.output.find("a power of two from 64KiB to 1GiB") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(path));
  for (const char* compress : {"none", "zstd"}) {
    CAPTURE(compress);
    auto good = run("--config " COPPER_SOURCE_DIR
                    "/examples/rover.json --cycles 50 -q --force --slab-size 64KiB "
                    "--compress " +
                    std::string(compress) + " -o " + path.string());
    INFO(good.output);
    REQUIRE(good.exit_code == 0);
    auto reader = copper::log::LogReader::open(path);
    REQUIRE_MESSAGE(reader.ok(), reader.error_message());
    CHECK(reader->metadata()["slab_size"] == 65536);
    CHECK(reader->check().damage.empty());
    CHECK(reader->check().cl_count == 50);
  }
}
