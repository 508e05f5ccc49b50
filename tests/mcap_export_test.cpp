// copper-log export --format mcap, checked by readers no one here wrote:
// tests/node/check_mcap.mjs reads each file with the official MCAP
// TypeScript readers (indexed and streamed, CRCs validated), validates
// every message against its channel's JSON Schema and checks the
// well-known channels and exact times. Here: the rover log and every
// corpus log, compressed and not, with message counts per channel against
// copper-log info; an all-types round trip; bad input.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "copper/base64.hpp"
#include "copper/message.hpp"
#include "copper/registry.hpp"
#include "copper/task.hpp"
#include "fixtures/command.hpp"
#include "fixtures/graph_helpers.hpp"
#include "fixtures/log_tool.hpp"
#include "fixtures/message_types.hpp"
#include "fixtures/recorded_log.hpp"
#include "fixtures/recorder_process.hpp"
#include "fixtures/scratch_dir.hpp"
#include "fixtures/skip.hpp"

namespace {

using nlohmann::json;
using testing_tasks::run_command;

const std::string kLog = COPPER_LOG_PATH;
const std::string kNodeDir = std::string(COPPER_SOURCE_DIR) + "/tests/node";

// Why the official readers cannot run here, or empty.
std::string node_problem() {
  if (!std::filesystem::exists(kNodeDir + "/node_modules/@mcap/core") ||
      !std::filesystem::exists(kNodeDir + "/node_modules/@foxglove/schemas"))
    return "tests/node/node_modules is missing (run npm ci in tests/node)";
  if (run_command("node --version").exit_code != 0) return "node is not installed";
  return {};
}

// check_mcap.mjs over `files`: one result per file, in order.
std::vector<json> check_mcap(const std::vector<std::string>& files, const std::string& dump_topic = "") {
  std::string command = "node " + kNodeDir + "/check_mcap.mjs";
  for (const auto& f : files) command += " '" + f + "'";
  if (!dump_topic.empty()) command += " --dump '" + dump_topic + "'";
  const auto outcome = run_command(command);
  INFO(outcome.output.substr(0, 2000));
  REQUIRE(outcome.exit_code == 0);
  std::vector<json> results;
  std::istringstream lines(outcome.output);
  for (std::string line; std::getline(lines, line);)
    if (!line.empty() && line.front() == '{') results.push_back(json::parse(line));
  REQUIRE(results.size() == files.size());
  return results;
}

int export_mcap(const std::string& log, const std::string& out, const std::string& flags = "") {
  const auto outcome = run_command(kLog + " export '" + log + "' --format mcap -o '" + out + "' " + flags);
  INFO(outcome.output);
  return outcome.exit_code;
}

json info_of(const std::string& log) {
  const auto outcome = run_command(kLog + " info --json '" + log + "' 2>/dev/null");
  REQUIRE(outcome.exit_code == 0);
  return json::parse(outcome.output);
}

// The view channel of a task output ("/camera/image" for "/camera"), or
// null.
const json* view_of(const json& channels, const std::string& topic) {
  for (const auto& [name, channel] : channels.items())
    if (name.starts_with(topic + "/")) return &channel;
  return nullptr;
}

// What copper-log info says each channel must hold. A task output whose
// plain channel is not written by default (an image, a scan) has its view.
void check_counts_against_info(const json& result, const json& info) {
  INFO(result.dump().substr(0, 3000));
  CHECK(result["ok"] == true);
  const uint64_t cls = info["copperlists"]["count"];
  const json& channels = result["channels"];
  CHECK(channels["/copper/timing"]["indexed"] == cls);
  uint64_t events = 0;
  if (info["streams"].contains("event")) events = info["streams"]["event"]["records"];
  CHECK(channels["/copper/log"]["indexed"] == info["text_entries"].get<uint64_t>() + events);
  for (const json& slot : info["graph"]["message_types"]) {
    const std::string topic = "/" + slot["producer"].get<std::string>();
    CAPTURE(topic);
    if (!channels.contains(topic)) {
      const json* view = view_of(channels, topic);
      REQUIRE(view != nullptr);
      CHECK((*view)["indexed"] == cls);
      CHECK((*view)["message_encoding"] == "protobuf");
      continue;
    }
    CHECK(channels[topic]["indexed"] == cls);
    CHECK(channels[topic]["validated"] == cls);
    CHECK(channels[topic]["schema_encoding"] == "jsonschema");
    CHECK(channels[topic]["message_encoding"] == "json");
  }
  CHECK(result["metadata"].contains("copper.run"));
  CHECK(result["metadata"]["copper.run"]["run_id"] == info["run_id"]);
  CHECK(result["metadata"].contains("copper.config"));
  CHECK(result["header"]["library"].get<std::string>().starts_with("copper "));
  const bool keyframes = info["keyframes"].get<uint64_t>() > 0;
  CHECK(result["attachments"].empty() != keyframes);
}

// The rover's camera as images, its scan as a scan, its pose as a pose:
// well-known channels beside the plain ones, every message validated and
// drawable (sizes agree, ranges and angles, unit quaternion).
void check_rover_views(const json& result, uint64_t cls) {
  std::map<std::string, std::string> drawn;  // schema -> topic
  for (const auto& [topic, channel] : result["channels"].items()) {
    const std::string schema = channel["schema"];
    if (!schema.starts_with("foxglove.") || topic == "/copper/log") continue;
    drawn[schema] = topic;
    CHECK(channel["indexed"] == cls);
    CHECK(channel["validated"] == cls);
    CHECK(channel["well_known_checked"] == cls);
  }
  CHECK(drawn["foxglove.RawImage"].starts_with("/camera/"));
  CHECK(drawn["foxglove.LaserScan"].starts_with("/lidar/"));
  CHECK(drawn["foxglove.PoseInFrame"].starts_with("/pose/"));
}

// Emits every field type the codec supports, different in each copperlist
// (64-bit extremes included), with a time of validity before the
// copperlist's time.
class EverythingSource : public copper::Source<copper_test::Everything> {
 public:
  static copper_test::Everything at(uint64_t cl) {
    copper_test::Everything e = copper_test::make_everything();
    e.i64 += static_cast<int64_t>(cl);
    e.u64 -= cl;
    e.longs.push_back(static_cast<int64_t>(cl) * 1'000'000'007);
    e.blob.push_back(static_cast<uint8_t>(cl));
    e.text += std::to_string(cl);
    return e;
  }
  copper::Status process(const copper::Context& ctx, copper_test::Everything& out) override {
    out = at(ctx.cl_id());
    ctx.set_time_of_validity(ctx.time() - 7);
    return {};
  }
};
COPPER_REGISTER_TASK(EverythingSource, "mcaptest/everything");

class EverythingSink : public copper::Sink<copper_test::Everything> {
 public:
  copper::Status process(const copper::Context&, const copper_test::Everything&) override { return {}; }
};
COPPER_REGISTER_TASK(EverythingSink, "mcaptest/everything_sink");

constexpr const char* kEverythingGraph = R"({
  "tasks": [{"id": "everything", "type": "mcaptest/everything"}, {"id": "sink", "type": "mcaptest/everything_sink"}],
  "connections": [{"from": "everything", "to": "sink"}]
})";

}  // namespace

TEST_CASE("mcap.export.the_rover_log_reads_in_the_official_readers_compressed_and_not") {
  if (const std::string why = node_problem(); !why.empty()) return copper_test::skip_test(why);
  const testing_tasks::RecordedLog log(testing_tasks::read_rover_config(), "mcap_rover", 40, 10);
  const std::string zstd = (log.dir / "zstd.mcap").string();
  const std::string plain = (log.dir / "plain.mcap").string();
  REQUIRE(export_mcap(log.path.string(), zstd) == 0);
  REQUIRE(export_mcap(log.path.string(), plain, "--compress none --chunk-size 65536") == 0);
  const auto results = check_mcap({zstd, plain});
  const json info = info_of(log.path.string());
  for (const json& result : results) check_counts_against_info(result, info);
  CHECK(results[0]["compression"] == json::array({"zstd"}));
  CHECK(results[1]["compression"] == json::array({""}));
  CHECK(results[1]["chunk_indexes"].get<int>() > 1);  // 64 KiB chunks: the camera alone fills several
  // The timing channel: one click to plot a task's latency.
  const json& timing = results[0]["channels"]["/copper/timing"];
  CHECK(timing["schema"] == "copper.Timing");
  CHECK(timing["validated"] == 40);
  // The rover declares its views next to its messages: no mapping file.
  for (const json& result : results) check_rover_views(result, 40);
}

// The rover's camera, lidar and pose as Foxglove draws them, mapped by a
// file (as for a log recorded before its task library declared mappings;
// the file's entries replace the log's own).
constexpr const char* kRoverMapping = R"({
  "rover::Image": {"schema": "foxglove.RawImage", "encoding": "mono8", "frame_id": "camera",
                   "fields": {"width": "width", "height": "height", "data": "pixels"}},
  "rover::LidarScan": {"schema": "foxglove.LaserScan", "frame_id": "base",
                       "fields": {"ranges": "ranges", "start_angle": "angle_min",
                                  "angle_increment": "angle_increment", "range_max": "range_max"}},
  "rover::Pose2D": {"schema": "foxglove.PoseInFrame", "frame_id": "room",
                    "fields": {"x": "x", "y": "y", "yaw": "theta"}}
})";

TEST_CASE("mcap.export.mapped_rover_messages_get_well_known_channels_beside_the_plain_ones") {
  if (const std::string why = node_problem(); !why.empty()) return copper_test::skip_test(why);
  const testing_tasks::RecordedLog log(testing_tasks::read_rover_config(), "mcap_rover_mapped", 12);
  const std::string mapping = (log.dir / "mapping.json").string();
  std::ofstream(mapping) << kRoverMapping;
  const std::string out = (log.dir / "mapped.mcap").string();
  REQUIRE(export_mcap(log.path.string(), out, "--mapping '" + mapping + "'") == 0);
  const json result = check_mcap({out}).at(0);
  INFO(result.dump().substr(0, 3000));
  CHECK(result["ok"] == true);
  check_counts_against_info(result, info_of(log.path.string()));
  check_rover_views(result, 12);
}

// --views: a mapped type's plain channel alone, its view alone, or both;
// by default both, except for the sensor views (images and scans, in
// protobuf), which replace the plain channel. The types without a view
// keep their plain channel either way.
TEST_CASE("mcap.export.views_choose_the_plain_or_the_well_known_channel_of_a_mapped_type") {
  if (const std::string why = node_problem(); !why.empty()) return copper_test::skip_test(why);
  const testing_tasks::RecordedLog log(testing_tasks::read_rover_config(), "mcap_rover_views", 12);
  const std::vector<std::string> flags = {"", "--views both", "--views plain", "--views well-known"};
  std::vector<std::string> files;
  for (size_t i = 0; i < flags.size(); ++i) {
    files.push_back((log.dir / ("views" + std::to_string(i) + ".mcap")).string());
    REQUIRE(export_mcap(log.path.string(), files.back(), flags[i]) == 0);
  }
  CHECK(export_mcap(log.path.string(), (log.dir / "bad.mcap").string(), "--views pictures") == 2);
  const auto results = check_mcap(files);
  // {plain channel written, view written} for each of default, both, plain, well-known.
  const std::map<std::string, std::vector<std::pair<bool, bool>>> expected = {
      {"camera", {{false, true}, {true, true}, {true, false}, {false, true}}},
      {"lidar", {{false, true}, {true, true}, {true, false}, {false, true}}},
      {"pose", {{true, true}, {true, true}, {true, false}, {false, true}}},
      {"imu", {{true, false}, {true, false}, {true, false}, {true, false}}},
  };
  for (size_t i = 0; i < flags.size(); ++i) {
    CAPTURE(flags[i]);
    CHECK(results[i]["ok"] == true);
    const json& channels = results[i]["channels"];
    for (const auto& [task, written] : expected) {
      CAPTURE(task);
      const std::string topic = "/" + task;
      CHECK(channels.contains(topic) == written[i].first);
      const json* view = view_of(channels, topic);
      CHECK((view != nullptr) == written[i].second);
      if (view != nullptr) CHECK((*view)["well_known_checked"] == 12);
    }
  }
}

// The sensor views in protobuf: each image's pixels and each scan's ranges,
// read back by the official readers through Foxglove's own definition of
// the schema, equal what was recorded (the scan's ranges past range_max
// are 0, as the mapping says).
TEST_CASE("mcap.export.protobuf_images_and_scans_read_back_equal_what_was_recorded") {
  if (const std::string why = node_problem(); !why.empty()) return copper_test::skip_test(why);
  const testing_tasks::RecordedLog log(testing_tasks::read_rover_config(), "mcap_rover_protobuf", 8);
  const std::string out = (log.dir / "rover.mcap").string();
  REQUIRE(export_mcap(log.path.string(), out) == 0);
  const auto recorded = run_command(kLog + " export '" + log.path.string() + "' --format jsonl 2>/dev/null");
  REQUIRE(recorded.exit_code == 0);
  std::vector<json> copperlists;
  std::istringstream lines(recorded.output);
  for (std::string line; std::getline(lines, line);) copperlists.push_back(json::parse(line));
  REQUIRE(copperlists.size() == 8);
  const json images = check_mcap({out}, "/camera/image").at(0);
  const json scans = check_mcap({out}, "/lidar/scan").at(0);
  REQUIRE(images["dump"].size() == 8);
  REQUIRE(scans["dump"].size() == 8);
  for (size_t cl = 0; cl < copperlists.size(); ++cl) {
    CAPTURE(cl);
    const json& pixels = copperlists[cl]["slots"]["camera"]["message"];
    const json image = json::parse(images["dump"][cl].get<std::string>());
    CHECK(image["data"] == pixels["pixels"]);  // both base64
    CHECK(image["width"] == pixels["width"]);
    CHECK(image["height"] == pixels["height"]);
    CHECK(image["step"] == pixels["width"]);  // mono8
    CHECK(image["encoding"] == "mono8");
    const json& sweep = copperlists[cl]["slots"]["lidar"]["message"];
    const json scan = json::parse(scans["dump"][cl].get<std::string>());
    REQUIRE(scan["ranges"].size() == sweep["ranges"].size());
    const double range_max = sweep["range_max"];
    for (size_t beam = 0; beam < sweep["ranges"].size(); ++beam) {
      const double range = sweep["ranges"][beam];
      CHECK(scan["ranges"][beam].get<double>() == (range <= range_max ? range : 0.0));
    }
    CHECK(scan["start_angle"].get<double>() == sweep["angle_min"].get<double>());
    CHECK(scan["frame_id"] == "rover");
  }
}

TEST_CASE("mcap.export.every_corpus_log_exports_what_is_intact_or_exits_as_the_other_formats") {
  if (const std::string why = node_problem(); !why.empty()) return copper_test::skip_test(why);
  copper_test::ScratchDir dir("mcap_corpus");
  std::vector<std::string> logs, files;
  int n = 0;
  for (const char* folder : {"", "/v1"}) {
    for (const auto& entry : std::filesystem::directory_iterator(std::string(COPPER_CORPUS_DIR) + folder)) {
      if (entry.path().extension() != ".copper") continue;
      const std::string log = entry.path().string();
      const std::string out = (dir / ("log" + std::to_string(n++) + ".mcap")).string();
      const auto jsonl = run_command(kLog + " export '" + log + "' --format jsonl -o '" + out + ".jsonl'");
      std::filesystem::remove(out + ".jsonl");
      // Alternate compression: both kinds over the corpus in one node run.
      const int code = export_mcap(log, out, n % 2 ? "--compress none" : "");
      INFO(log);
      CHECK(code == jsonl.exit_code);
      CHECK(std::filesystem::exists(out) == (code == 0));
      if (code != 0) continue;
      logs.push_back(log);
      files.push_back(out);
    }
  }
  REQUIRE(files.size() >= 20);
  const auto results = check_mcap(files);
  for (size_t i = 0; i < files.size(); ++i) {
    INFO(logs[i]);
    check_counts_against_info(results[i], info_of(logs[i]));
  }
}

TEST_CASE("mcap.export.an_unclosed_log_exports_with_a_warning_and_exit_0") {
  copper_test::ScratchDir dir("mcap_unclosed");
  const std::string out = (dir / "run.mcap").string();
  const auto outcome =
      run_command(kLog + " export '" + testing_tasks::corpus_file("unclosed.copper") + "' --format mcap -o " + out);
  CHECK(outcome.exit_code == 0);
  CHECK(outcome.output.find("not closed cleanly") != std::string::npos);
  CHECK(std::filesystem::file_size(out) > 0);
}

TEST_CASE("mcap.export.values_read_back_equal_the_typed_json_of_every_field_type") {
  if (const std::string why = node_problem(); !why.empty()) return copper_test::skip_test(why);
  const testing_tasks::RecordedLog log(kEverythingGraph, "mcap_everything", 6);
  const std::string out = (log.dir / "everything.mcap").string();
  REQUIRE(export_mcap(log.path.string(), out) == 0);
  const json result = check_mcap({out}, "/everything").at(0);
  INFO(result.dump().substr(0, 3000));
  CHECK(result["ok"] == true);
  REQUIRE(result["dump"].size() == 6);
  for (uint64_t cl = 0; cl < 6; ++cl) {
    // Parsed here from the reader's raw text: 64-bit values stay exact.
    const json read_back = json::parse(result["dump"][cl].get<std::string>());
    const copper_test::Everything recorded = EverythingSource::at(cl);
    json expected = copper::to_json(recorded);
    expected["blob"] = copper::base64_encode(recorded.blob);
    CHECK(read_back == expected);
    CHECK(read_back["u64"].get<uint64_t>() == recorded.u64);
    CHECK(read_back["i64"].get<int64_t>() == recorded.i64);
  }
}

TEST_CASE("mcap.export.bad_flags_and_an_existing_output_exit_2_and_leave_no_file") {
  copper_test::ScratchDir dir("mcap_bad");
  const std::string log = testing_tasks::corpus_file("clean.copper");
  const std::string out = (dir / "run.mcap").string();
  CHECK(export_mcap(log, out, "--chunk-size 0") == 2);
  CHECK(export_mcap(log, out, "--compress foo") == 2);
  CHECK(export_mcap(log, out, "--no-blobs") == 2);
  CHECK(export_mcap(log, out, "--mapping " + (dir / "missing.json").string()) == 2);
  CHECK(run_command(kLog + " export " + log + " --format mcap").exit_code == 2);  // no -o
  CHECK(std::filesystem::is_empty(dir.path()));
  {
    std::ofstream existing(out);
    existing << "keep me";
  }
  CHECK(export_mcap(log, out) == 2);
  std::ifstream kept(out);
  std::string content;
  std::getline(kept, content);
  CHECK(content == "keep me");
  CHECK(std::distance(std::filesystem::directory_iterator(dir.path()), {}) == 1);  // no temporary left
  CHECK(export_mcap(log, out, "--force") == 0);
  CHECK(std::filesystem::file_size(out) > 100);
}

TEST_CASE("mcap.export.tasks_and_a_range_select_the_channels_messages_lines_and_keyframes") {
  if (const std::string why = node_problem(); !why.empty()) return copper_test::skip_test(why);
  copper_test::ScratchDir dir("mcap_select");
  const std::string out = (dir / "part.mcap").string();
  REQUIRE(export_mcap(testing_tasks::corpus_file("clean.copper"), out, "--tasks chat,acc --from 45 --to 104") == 0);
  const json result = check_mcap({out}).at(0);
  INFO(result.dump().substr(0, 3000));
  CHECK(result["ok"] == true);
  const json& channels = result["channels"];
  CHECK(channels.size() == 4);  // /chat, /acc, /copper/timing, /copper/log
  CHECK(channels["/chat"]["indexed"] == 60);
  CHECK(channels["/acc"]["indexed"] == 60);
  CHECK(channels["/copper/timing"]["indexed"] == 60);
  CHECK(channels["/copper/log"]["indexed"] == 60);  // chat's one line per copperlist; start and stop are outside
  // Keyframes 50 and 100 are inside; only the selected tasks' states.
  std::set<std::string> names;
  for (const json& a : result["attachments"]) names.insert(a["name"].get<std::string>());
  for (const std::string& name : names) CHECK((name.ends_with("/chat") || name.ends_with("/acc")));
  CHECK(names.contains("keyframe/50/acc"));
  CHECK(names.contains("keyframe/100/acc"));
  CHECK_FALSE(names.contains("keyframe/0/acc"));
}

// The checker can fail: one flipped byte inside a chunk breaks its CRC.
TEST_CASE("mcap.export.the_official_reader_refuses_a_file_with_a_flipped_byte") {
  if (const std::string why = node_problem(); !why.empty()) return copper_test::skip_test(why);
  copper_test::ScratchDir dir("mcap_flip");
  const std::string out = (dir / "flip.mcap").string();
  REQUIRE(export_mcap(testing_tasks::corpus_file("clean.copper"), out, "--compress none") == 0);
  std::string bytes;
  {
    std::ifstream in(out, std::ios::binary);
    bytes.assign(std::filesystem::file_size(out), '\0');
    in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  const size_t body = bytes.find("{\"value\":100}");  // a message of /a, inside a chunk
  REQUIRE(body != std::string::npos);
  bytes[body + 10] = '7';
  std::ofstream(out, std::ios::binary | std::ios::trunc)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  const json result = check_mcap({out}).at(0);
  CHECK(result["ok"] == false);
  CHECK(result["errors"].dump().find("CRC") != std::string::npos);
}

TEST_CASE("mcap.export.a_mapping_that_does_not_fit_its_slot_exits_2_naming_it_and_writes_nothing") {
  copper_test::ScratchDir dir("mcap_misfit");
  const std::string mapping = (dir / "mapping.json").string();
  std::ofstream(mapping) << R"({"testing_tasks::Number": {"schema": "foxglove.RawImage", "encoding": "mono8",
                             "fields": {"width": "no_such_field", "height": "value", "data": "value"}}})";
  const std::string out = (dir / "run.mcap").string();
  const auto outcome = run_command(kLog + " export " + testing_tasks::corpus_file("clean.copper") +
                                   " --format mcap -o " + out + " --mapping " + mapping);
  INFO(outcome.output);
  CHECK(outcome.exit_code == 2);
  CHECK(outcome.output.find("mapping file " + mapping + " at /testing_tasks::Number/fields/") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(out));
  CHECK(std::distance(std::filesystem::directory_iterator(dir.path()), {}) == 1);  // the mapping alone
}

// export --follow --format mcap: the file written while following a
// recording (the follower started first) holds what the export of the
// finished log holds: the same channels with the same counts, the same
// message bodies, metadata records and keyframe attachments.
TEST_CASE("mcap.export.follow_gives_the_file_of_the_finished_log") {
  if (const std::string why = node_problem(); !why.empty()) return copper_test::skip_test(why);
  const copper_test::ScratchDir dir("copper_mcap_follow");
  const std::string log = (dir / "run.copper").string(), followed = (dir / "followed.mcap").string();
  const pid_t follower = fork();
  REQUIRE(follower >= 0);
  if (follower == 0) {
    execl(COPPER_LOG_PATH, COPPER_LOG_PATH, "export", log.c_str(), "--follow", "--format", "mcap", "-o",
          followed.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  testing_tasks::Recording recording;
  recording.compress = "zstd";
  recording.cycles = 300;
  recording.delay_ms = 200;  // the follower waits for the log
  CHECK(testing_tasks::wait_for(testing_tasks::start_recorder(log, recording)) == 0);
  CHECK(testing_tasks::wait_for(follower) == 0);
  const std::string finished = (dir / "finished.mcap").string();
  REQUIRE(export_mcap(log, finished) == 0);
  const auto results = check_mcap({followed, finished}, "/pose");
  INFO(results[0].dump().substr(0, 3000));
  CHECK(results[0]["ok"] == true);
  check_counts_against_info(results[0], info_of(log));
  CHECK(results[0]["channels"]["/copper/timing"]["indexed"] == 300);
  CHECK(results[0]["dump"].size() == 300);
  for (const char* same : {"channels", "metadata", "attachments", "dump"}) {
    CAPTURE(same);
    CHECK(results[0][same] == results[1][same]);
  }
}
