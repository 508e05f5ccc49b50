// copper-log export|text|stats --follow on a log being written (by
// copper-record, or for text by a graph that logs text):
// the output equals that of the same subcommand on the finished log; a
// killed recorder ends the follow with check's verdict; Ctrl-C ends it
// cleanly with whole lines.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "copper/log/writer.hpp"
#include "copper/runtime.hpp"
#include "fixtures/command.hpp"
#include "fixtures/explained.hpp"
#include "fixtures/graph_helpers.hpp"
#include "fixtures/log_tool.hpp"
#include "fixtures/recorder_process.hpp"
#include "fixtures/scratch_dir.hpp"
#include "stats.hpp"

namespace {

using testing_tasks::Recording;
using Clock = std::chrono::steady_clock;

// copper-log with `args`, stdout into `out`, stderr into `out`.err.
pid_t start_tool(const std::vector<std::string>& args, const std::filesystem::path& out) {
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child != 0) return child;
  const int out_fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  const int err_fd = ::open((out.string() + ".err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (out_fd < 0 || err_fd < 0) _exit(126);
  dup2(out_fd, STDOUT_FILENO);
  dup2(err_fd, STDERR_FILENO);
  std::vector<char*> argv{const_cast<char*>(COPPER_LOG_PATH)};
  for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  execv(COPPER_LOG_PATH, argv.data());
  _exit(127);
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// copper-log on the finished log: its stdout.
std::string finished_output(const std::vector<std::string>& args, const std::filesystem::path& dir) {
  const auto out = dir / "finished.out";
  CHECK(testing_tasks::wait_for(start_tool(args, out)) == 0);
  return read_text(out);
}

// Waits for the recorder; when it failed, no log will come for the
// followers to end on: they are stopped as with Ctrl-C.
void wait_for_recorder(pid_t recorder, std::initializer_list<pid_t> followers) {
  const int recorded = testing_tasks::wait_for(recorder);
  CHECK(recorded == 0);
  if (recorded != 0)
    for (const pid_t follower : followers) kill(follower, SIGINT);
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// A graph whose task writes a text-log entry every copperlist (the rover
// writes none).
constexpr std::string_view kChattyGraph = R"({"tasks": [
    {"id": "a", "type": "test/counter", "params": {"step": 5}},
    {"id": "chat", "type": "test/chatty"},
    {"id": "out", "type": "test/drop_number"}],
  "connections": [{"from": "a", "to": "chat"}, {"from": "chat", "to": "out"}]})";

// Records the chatty graph into `path` at 500 Hz in a child process.
pid_t start_chatty_recording(const std::filesystem::path& path, copper::log::Compression compression) {
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child != 0) return child;
  usleep(200'000);  // the follower starts first
  auto built = testing_tasks::build_graph(kChattyGraph);
  if (!built.graph) _exit(10);
  copper::log::WriterOptions options;
  options.path = path;
  options.compression = compression;
  options.slab_size = copper::log::kMinSlabSize;
  options.batch_bytes = copper::log::kMinSlabSize / 4;
  auto writer = copper::log::LogWriter::create(options, *built.graph);
  if (!writer.ok()) {
    fprintf(stderr, "%s\n", std::string(writer.error_message()).c_str());
    _exit(11);
  }
  copper::MonotonicClock clock;
  copper::SerialExecutor executor(*built.graph, clock);
  copper::StopConditions stop;
  stop.cycles = 300;
  stop.rate_hz = 500;
  executor.run(stop, writer->get());
  _exit((*writer)->close("limit").ok() ? 0 : 12);
}

}  // namespace

TEST_CASE("cli.log.follow.text_equals_text_of_the_finished_log") {
  for (const auto& compression : {copper::log::Compression::none(), copper::log::Compression::zstd()}) {
    CAPTURE(compression.to_string());
    const copper_test::ScratchDir dir("copper_cli_follow_text");
    const std::string log = (dir / "run.copper").string();
    const pid_t text = start_tool({"text", log, "--follow"}, dir / "a.text");
    const pid_t json = start_tool({"text", log, "--follow", "--json", "--level", "info"}, dir / "a.json");
    const pid_t recorder = start_chatty_recording(log, compression);
    wait_for_recorder(recorder, {text, json});
    CHECK(testing_tasks::wait_for(text) == 0);
    CHECK(testing_tasks::wait_for(json) == 0);
    const std::string followed = read_text(dir / "a.text");
    CHECK(lines_of(followed).size() == 300);
    CHECK(followed == finished_output({"text", log}, dir.path()));
    CHECK(read_text(dir / "a.json") == finished_output({"text", log, "--json", "--level", "info"}, dir.path()));
  }
}

TEST_CASE("cli.log.follow.export_and_stats_equal_their_output_on_the_finished_log") {
  for (const std::string compress : {"none", "zstd"}) {
    CAPTURE(compress);
    const copper_test::ScratchDir dir("copper_cli_follow");
    const std::string log = (dir / "run.copper").string();
    const pid_t recorder = testing_tasks::start_recorder(log, {compress, "interval:20", 400, 800, 300, false});
    const pid_t jsonl = start_tool({"export", log, "--follow", "--format", "jsonl"}, dir / "a.jsonl");
    const pid_t csv = start_tool({"export", log, "--follow", "--format", "csv", "--metadata"}, dir / "a.csv");
    const pid_t stats = start_tool({"stats", log, "--follow"}, dir / "a.stats");
    wait_for_recorder(recorder, {jsonl, csv, stats});
    for (const pid_t tool : {jsonl, csv, stats}) CHECK(testing_tasks::wait_for(tool) == 0);
    const std::string exported = read_text(dir / "a.jsonl");
    CHECK(lines_of(exported).size() == 400);
    CHECK(exported == finished_output({"export", log, "--format", "jsonl"}, dir.path()));
    CHECK(read_text(dir / "a.csv") == finished_output({"export", log, "--format", "csv", "--metadata"}, dir.path()));
    const auto stats_lines = lines_of(read_text(dir / "a.stats"));
    REQUIRE_FALSE(stats_lines.empty());
    CHECK(nlohmann::json::parse(stats_lines.back()) ==
          nlohmann::json::parse(finished_output({"stats", log, "--json"}, dir.path())));
    CHECK(read_text(dir / "a.jsonl.err").empty());
  }
}

// Under every fsync policy: the follower's export is the finished log's.
TEST_CASE("cli.log.follow.export_under_every_fsync_policy") {
  for (const std::string fsync : {"none", "bytes:64KiB", "interval:20", "commit"}) {
    CAPTURE(fsync);
    const copper_test::ScratchDir dir("copper_cli_follow_fsync");
    const std::string log = (dir / "run.copper").string();
    const pid_t recorder = testing_tasks::start_recorder(log, {"zstd", fsync, 250, 800, 0, false});
    usleep(100'000);
    const pid_t jsonl = start_tool({"export", log, "--follow", "--format", "jsonl", "--no-blobs"}, dir / "a.jsonl");
    wait_for_recorder(recorder, {jsonl});
    CHECK(testing_tasks::wait_for(jsonl) == 0);
    CHECK(read_text(dir / "a.jsonl") ==
          finished_output({"export", log, "--format", "jsonl", "--no-blobs"}, dir.path()));
  }
}

TEST_CASE("cli.log.follow.a_killed_recorder_ends_the_follow_with_checks_verdict") {
  const copper_test::ScratchDir dir("copper_cli_follow_killed");
  const std::string log = (dir / "run.copper").string();
  const pid_t recorder = testing_tasks::start_recorder(log, {"zstd", "commit", 0, 500, 0, false});
  const pid_t jsonl = start_tool({"export", log, "--follow", "--format", "jsonl", "--no-blobs"}, dir / "a.jsonl");
  usleep(800'000);
  kill(recorder, SIGKILL);
  const auto killed = Clock::now();
  CHECK(testing_tasks::wait_for(recorder) == -SIGKILL);
  const int code = testing_tasks::wait_for(jsonl);
  CHECK(Clock::now() - killed < std::chrono::seconds(3));
  const auto check = testing_tasks::run_command(std::string(COPPER_LOG_PATH) + " check " + log);
  CHECK(check.exit_code == 3);
  CHECK(code == check.exit_code);
  CHECK(testing_tasks::contains(read_text(dir / "a.jsonl.err"), "without closing the log: check: damaged"));
  const std::string exported = read_text(dir / "a.jsonl");
  CHECK(lines_of(exported).size() > 0);
  CHECK(exported == finished_output({"export", log, "--format", "jsonl", "--no-blobs"}, dir.path()));
}

TEST_CASE("cli.log.follow.ctrl_c_ends_with_whole_lines_of_what_was_read") {
  const copper_test::ScratchDir dir("copper_cli_follow_sigint");
  const std::string log = (dir / "run.copper").string();
  const pid_t recorder = testing_tasks::start_recorder(log, {"none", "none", 0, 300, 0, false});
  const pid_t jsonl = start_tool({"export", log, "--follow", "--format", "jsonl", "--no-blobs"}, dir / "a.jsonl");
  usleep(800'000);
  kill(jsonl, SIGINT);
  CHECK(testing_tasks::wait_for(jsonl) == 0);
  // --to: the follow ends there, while the recorder goes on.
  const pid_t upto =
      start_tool({"export", log, "--follow", "--format", "jsonl", "--no-blobs", "--to", "9"}, dir / "b.jsonl");
  CHECK(testing_tasks::wait_for(upto) == 0);
  kill(recorder, SIGINT);
  CHECK(testing_tasks::wait_for(recorder) == 0);
  CHECK(read_text(dir / "b.jsonl") ==
        finished_output({"export", log, "--format", "jsonl", "--no-blobs", "--to", "9"}, dir.path()));
  const auto followed = lines_of(read_text(dir / "a.jsonl"));
  const auto finished = lines_of(finished_output({"export", log, "--format", "jsonl", "--no-blobs"}, dir.path()));
  REQUIRE_FALSE(followed.empty());
  CHECK(followed.size() < finished.size());  // the recorder went on after the follow stopped
  for (size_t i = 0; i < followed.size() && i < finished.size(); ++i) CHECK(followed[i] == finished[i]);
}

TEST_CASE("cli.log.follow.ctrl_c_while_waiting_for_the_log_ends_quietly") {
  const copper_test::ScratchDir dir("copper_cli_follow_wait");
  const pid_t csv =
      start_tool({"export", (dir / "never.copper").string(), "--follow", "--format", "csv"}, dir / "a.csv");
  usleep(300'000);
  kill(csv, SIGINT);
  const auto stopped = Clock::now();
  CHECK(testing_tasks::wait_for(csv) == 0);
  CHECK(Clock::now() - stopped < std::chrono::seconds(1));
  CHECK(read_text(dir / "a.csv").empty());
  CHECK(read_text(dir / "a.csv.err").empty());
}

TEST_CASE("cli.log.follow.refuses_the_json_format") {
  const auto outcome =
      testing_tasks::run_command(std::string(COPPER_LOG_PATH) + " export nowhere.copper --follow --format json");
  CHECK(outcome.exit_code == 2);
  CHECK(testing_tasks::contains(outcome.output, "--follow writes copperlists as they land: use --format jsonl or csv"));
}

// On a terminal, stats --follow redraws its table in place: home, clear,
// the table `stats` prints. A closed log ends the follow at once.
TEST_CASE("cli.log.follow.stats_on_a_terminal_redraws_the_table") {
  const copper_test::ScratchDir dir("copper_cli_follow_terminal");
  const std::string log = (dir / "run.copper").string();
  REQUIRE(testing_tasks::wait_for(testing_tasks::start_recorder(log, {"none", "none", 50, 0, 0, false})) == 0);
  copper::logtool::StatsOptions options;
  options.log = log;
  const auto plain = testing_tasks::run_tool([&](auto io) { return copper::logtool::run_stats(options, io); });
  options.follow = true;
  options.terminal = true;
  const auto followed = testing_tasks::run_tool([&](auto io) { return copper::logtool::run_stats(options, io); });
  CHECK(followed.code == 0);
  CHECK(plain.out.find("50 copperlists") == 0);
  CHECK(followed.out == "\x1b[H\x1b[2J" + plain.out);
}
