// copper-record --serve against a real Foxglove client: the official
// @foxglove/ws-protocol FoxgloveClient (tests/node/check_live.mjs, run by
// Debian's node) connects to the recorder's live view while it records the
// rover. What the client receives is checked against the finished log
// (copper-log export --format jsonl), by copperlist time.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "copper/log/reader.hpp"
#include "fixtures/command.hpp"
#include "fixtures/scratch_dir.hpp"
#include "fixtures/skip.hpp"

namespace {

using nlohmann::json;
using testing_tasks::run_command;

const std::string kRover = std::string(COPPER_SOURCE_DIR) + "/examples/rover.json";
const std::string kNodeDir = std::string(COPPER_SOURCE_DIR) + "/tests/node";

bool node_ready() {
  return std::filesystem::exists(kNodeDir + "/node_modules/@foxglove/ws-protocol") &&
         std::filesystem::exists(kNodeDir + "/node_modules/ws") && run_command("node --version").exit_code == 0;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// One recording of the rover with --serve on a free port, and clients
// started once the recorder prints its address. Each client's JSON result
// lands in <dir>/client<i>.json; the recorder's stdout in <dir>/record.out,
// its exit code in <dir>/record.rc.
struct LiveRun {
  int record_exit = -1;
  std::string record_output;
  std::vector<json> clients;
};

LiveRun record_with_clients(const copper_test::ScratchDir& dir, const std::string& record_args,
                            const std::vector<std::string>& client_args) {
  std::ostringstream script;
  script << "cd '" << dir.path().string() << "'\n"
         << "( '" << COPPER_RECORD_PATH << "' -c '" << kRover << "' -o run.copper --serve 127.0.0.1:0 " << record_args
         << " > record.out 2> record.err; echo $? > record.rc ) &\n"
         << "for i in $(seq 200); do grep -q 'ws://' record.err 2>/dev/null && break; sleep 0.05; done\n"
         << "URL=$(grep -o 'ws://[^ ]*' record.err)\n";
  for (size_t i = 0; i < client_args.size(); ++i)
    script << "node '" << kNodeDir << "/check_live.mjs' \"$URL\" " << client_args[i] << " > client" << i << ".json &\n";
  script << "wait\n";
  std::ofstream(dir / "live.sh") << script.str();
  const auto outcome = run_command("bash '" + (dir / "live.sh").string() + "'");
  INFO(outcome.output);
  LiveRun run;
  const std::string rc = read_file(dir / "record.rc");
  run.record_exit = rc.empty() ? -1 : std::stoi(rc);
  run.record_output = read_file(dir / "record.out") + read_file(dir / "record.err");
  for (size_t i = 0; i < client_args.size(); ++i) {
    const std::string text = read_file(dir / ("client" + std::to_string(i) + ".json"));
    INFO("client " << i << ": " << text.substr(0, 400));
    run.clients.push_back(json::parse(text));
  }
  return run;
}

// The finished log's copperlists by time: {time_ns: {task id: message}}.
std::map<std::string, json> exported_by_time(const std::filesystem::path& log) {
  const auto outcome =
      run_command(std::string("'") + COPPER_LOG_PATH + "' export '" + log.string() + "' --format jsonl");
  REQUIRE(outcome.exit_code == 0);
  std::map<std::string, json> by_time;
  std::istringstream lines(outcome.output);
  for (std::string line; std::getline(lines, line);) {
    const json cl = json::parse(line);
    json messages = json::object();
    for (const auto& [task, slot] : cl["slots"].items()) messages[task] = slot["message"];
    by_time[std::to_string(cl["time_ns"].get<int64_t>())] = messages;
  }
  return by_time;
}

// The payload stream alone, byte for byte: each copperlist's id and its
// slots' encoded messages, no times. Read in-process: exporting two rover
// logs to JSON took most of a minute under AddressSanitizer.
std::vector<std::string> payload_stream(const std::filesystem::path& log) {
  auto reader = copper::log::LogReader::open(log);
  REQUIRE(reader.ok());
  std::vector<std::string> stream;
  reader->for_each_copperlist([&](const copper::log::CopperListView& cl) {
    std::string entry = std::to_string(cl.id);
    for (const copper::log::SlotData& slot : cl.slots) {
      entry += '|';
      entry.append(reinterpret_cast<const char*>(slot.bytes.data()), slot.bytes.size());
    }
    stream.push_back(std::move(entry));
    return true;
  });
  return stream;
}

}  // namespace

TEST_CASE("live.serve.channels_and_payloads_match_the_recording") {
  if (!node_ready()) return copper_test::skip_test("tests/node has no node_modules (run npm ci there) or no node");
  copper_test::ScratchDir dir("live_serve");
  const LiveRun run = record_with_clients(dir, "-d 3 --rate 100", {"--topics /imu,/camera --count 20 --timeout 8000"});
  INFO(run.record_output);
  REQUIRE(run.record_exit == 0);
  const json& client = run.clients[0];
  CHECK(client["error"].is_null());
  CHECK(client["serverInfo"]["name"].get<std::string>().find("copper-record") == 0);

  // One channel per task output, plus the text log.
  std::set<std::string> expected{"/copper/log"};
  const auto by_time = exported_by_time(dir / "run.copper");
  REQUIRE(!by_time.empty());
  for (const auto& [task, message] : by_time.begin()->second.items()) expected.insert(fmt::format("/{}", task));
  std::set<std::string> plain;
  for (const auto& channel : client["channels"]) {
    CHECK(channel["encoding"] == "json");
    CHECK(channel["schemaEncoding"] == "jsonschema");
    CHECK(!json::parse(channel["schema"].get<std::string>()).empty());
    if (expected.count(channel["topic"].get<std::string>()) != 0) plain.insert(channel["topic"].get<std::string>());
  }
  CHECK(plain == expected);
  // The rover's declared well-known views (examples/rover/messages.hpp).
  std::set<std::string> advertised;
  for (const auto& channel : client["channels"])
    advertised.insert(channel["topic"].get<std::string>() + " " + channel["schemaName"].get<std::string>());
  CHECK(advertised.count("/camera/image foxglove.RawImage") == 1);
  CHECK(advertised.count("/copper/log foxglove.Log") == 1);

  // Every message received is the recorded one of the copperlist with its time.
  std::map<std::string, int> received;
  for (const auto& message : client["messages"]) {
    const std::string topic = message["topic"];
    const auto cl = by_time.find(message["time"].get<std::string>());
    INFO(topic << " at " << message["time"]);
    REQUIRE(cl != by_time.end());
    CHECK(message["payload"] == cl->second[topic.substr(1)]);
    ++received[topic];
  }
  CHECK(received["/imu"] >= 20);
  CHECK(received["/camera"] >= 20);
}

TEST_CASE("live.serve.stuck_and_vanishing_clients_leave_the_recording_unchanged") {
  if (!node_ready()) return copper_test::skip_test("tests/node has no node_modules (run npm ci there) or no node");
  copper_test::ScratchDir plain_dir("live_plain"), served_dir("live_served");
  const auto plain = run_command(std::string("'") + COPPER_RECORD_PATH + "' -q -c '" + kRover + "' -n 1500 -o '" +
                                 (plain_dir / "run.copper").string() + "'");
  REQUIRE(plain.exit_code == 0);
  // A stuck client (subscribed to everything, never reads) and one that
  // drops the connection after a few messages, during a 400 Hz run whose
  // camera alone the first cannot keep taking. 1500 copperlists: under
  // AddressSanitizer the run is CPU-bound at about 100 Hz, and with 600 the
  // disconnecting client, started beside the recorder, had received one
  // message when the run ended (the case takes about 74 s there).
  const LiveRun run =
      record_with_clients(served_dir, "-n 1500 --rate 400",
                          {"--mode stall --timeout 6000", "--mode disconnect --topics all --timeout 6000"});
  INFO(run.record_output);
  REQUIRE(run.record_exit == 0);
  CHECK(run.clients[1]["messages"].size() >= 3);
  const auto served_stream = payload_stream(served_dir / "run.copper");
  CHECK(served_stream.size() == 1500);
  CHECK(served_stream == payload_stream(plain_dir / "run.copper"));
  // The stuck client's drops are counted and reported, in the summary and
  // in the log's stats. Whether they show as messages its queue refused or
  // as copperlists the feed dropped (the server thread, at nice 19, behind)
  // depends on the machine's load: their sum is what must be above zero.
  CHECK(run.record_output.find("live view: 2 clients") != std::string::npos);
  const auto stats =
      run_command(std::string("'") + COPPER_LOG_PATH + "' stats --json '" + (served_dir / "run.copper").string() + "'");
  REQUIRE(stats.exit_code == 0);
  const json reports = json::parse(stats.output)["reports"];
  REQUIRE(reports.size() == 1);
  CHECK(reports[0]["component"] == "live_view");
  CHECK(reports[0]["clients"] == 2);
  CHECK(reports[0]["messages_dropped"].get<uint64_t>() + reports[0]["cls_dropped"].get<uint64_t>() > 0);
  uint64_t client_drops = 0;
  for (const auto& client : reports[0]["client_list"]) client_drops += client["dropped"].get<uint64_t>();
  CHECK(client_drops == reports[0]["messages_dropped"].get<uint64_t>());
}

TEST_CASE("live.serve.malformed_frames_are_answered_and_the_run_goes_on") {
  if (!node_ready()) return copper_test::skip_test("tests/node has no node_modules (run npm ci there) or no node");
  copper_test::ScratchDir dir("live_malformed");
  const LiveRun run =
      record_with_clients(dir, "-d 2 --rate 100", {"--mode malformed --topics /imu --count 10 --timeout 8000"});
  INFO(run.record_output);
  CHECK(run.record_exit == 0);
  const json& client = run.clients[0];
  REQUIRE(client["statuses"].size() == 4);
  for (const auto& status : client["statuses"]) CHECK(status["level"] == 2);
  CHECK(client["messages"].size() >= 10);
  CHECK(run.record_output.find("4 bad frames") != std::string::npos);
}

TEST_CASE("live.serve.unusable_address_is_refused_before_the_graph_starts") {
  copper_test::ScratchDir dir("live_address");
  // A port some other listener holds.
  const int taken = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in where{};
  where.sin_family = AF_INET;
  where.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(where);
  REQUIRE(bind(taken, reinterpret_cast<sockaddr*>(&where), sizeof(where)) == 0);
  REQUIRE(listen(taken, 1) == 0);
  REQUIRE(getsockname(taken, reinterpret_cast<sockaddr*>(&where), &length) == 0);
  const unsigned port = ntohs(where.sin_port);
  const std::string log = (dir / "run.copper").string();
  const std::vector<std::string> addresses{fmt::format("127.0.0.1:{}", port), "127.0.0.1:99999", "192.0.2.1:8765",
                                           "[::1"};
  for (const std::string& address : addresses) {
    INFO(address);
    const auto outcome = run_command(std::string("'") + COPPER_RECORD_PATH + "' -c '" + kRover + "' -n 10 -o '" + log +
                                     "' --serve '" + address + "'");
    INFO(outcome.output);
    CHECK(outcome.exit_code == 2);
    CHECK(outcome.output.find("error: --serve") != std::string::npos);
    CHECK(outcome.output.find("mode:") == std::string::npos);  // the graph never started
    CHECK(!std::filesystem::exists(log));
  }
  close(taken);
}

// --serve-rate (src/live/feed.hpp): a 200 Hz rover seen at 20 Hz. The
// client's /imu messages are copperlists at least 50 ms apart (by
// copperlist time, which the messages carry), fewer than the run made,
// each still the recorded one; the skipped ones are counted in the summary.
TEST_CASE("live.serve.rate_shows_copperlists_a_period_apart") {
  if (!node_ready()) return copper_test::skip_test("tests/node has no node_modules (run npm ci there) or no node");
  copper_test::ScratchDir dir("live_rate");
  const LiveRun run =
      record_with_clients(dir, "-d 2 --rate 200 --serve-rate 20", {"--topics /imu --count 10 --timeout 8000"});
  INFO(run.record_output);
  REQUIRE(run.record_exit == 0);
  const auto by_time = exported_by_time(dir / "run.copper");
  std::vector<int64_t> times;
  for (const auto& message : run.clients[0]["messages"]) {
    REQUIRE(by_time.count(message["time"].get<std::string>()) == 1);
    CHECK(message["payload"] == by_time.at(message["time"].get<std::string>())["imu"]);
    times.push_back(std::stoll(message["time"].get<std::string>()));
  }
  REQUIRE(times.size() >= 10);
  for (size_t i = 1; i < times.size(); ++i) CHECK(times[i] - times[i - 1] >= 50'000'000);
  CHECK(run.record_output.find("skipped (view rate: 20 Hz)") != std::string::npos);
}

TEST_CASE("live.serve.bad_rate_is_refused") {
  copper_test::ScratchDir dir("live_bad_rate");
  const std::string log = (dir / "run.copper").string();
  for (const std::string flags :
       {"--serve 127.0.0.1:0 --serve-rate -1", "--serve 127.0.0.1:0 --serve-rate nan", "--serve-rate 10"}) {
    INFO(flags);
    const auto outcome =
        run_command(std::string("'") + COPPER_RECORD_PATH + "' -c '" + kRover + "' -n 10 -o '" + log + "' " + flags);
    INFO(outcome.output);
    CHECK(outcome.exit_code == 2);
    CHECK(outcome.output.find("--serve") != std::string::npos);
    CHECK(!std::filesystem::exists(log));
  }
}

// The end of the run closes each viewer with the WebSocket close handshake
// (1001, "going away"), so Foxglove shows that the recording ended rather
// than a lost connection (1006, which the client sees when a server just
// drops the socket).
TEST_CASE("live.serve.end_of_run_closes_viewers_with_going_away") {
  if (!node_ready()) return copper_test::skip_test("tests/node has no node_modules (run npm ci there) or no node");
  copper_test::ScratchDir dir("live_close");
  const LiveRun run = record_with_clients(dir, "-d 1 --rate 50", {"--topics /imu --count 1000000 --timeout 15000"});
  INFO(run.record_output);
  REQUIRE(run.record_exit == 0);
  const json& client = run.clients[0];
  CHECK(client["messages"].size() > 0);
  CHECK(client["closed"] == true);
  CHECK(client["closeCode"] == 1001);
  CHECK(client["closeReason"] == "recording ended");
}
