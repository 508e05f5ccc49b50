// Foxglove views in logs: what task libraries declare (copper/foxglove.hpp)
// is checked and recorded into the metadata; recorded messages convert to
// well-formed well-known messages; a mapping file serves logs recorded
// without declarations.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <fstream>

#include "copper/foxglove.hpp"
#include "copper/log/reader.hpp"
#include "copper/task.hpp"
#include "fixtures/command.hpp"
#include "fixtures/graph_helpers.hpp"
#include "fixtures/json_schema_check.hpp"
#include "fixtures/recorded_log.hpp"
#include "foxglove/mapping.hpp"
#include "foxglove/mapping_spec.hpp"

namespace foxglove_log_test {

using copper::foxglove::Mapping;
using copper::foxglove::MappingSet;
using nlohmann::json;

// Every slot with a mapping, every copperlist: converted from the message
// as the tools decode it, valid against the well-known schema. `check`
// sees each converted message with its slot's producer.
template <class Check>
size_t convert_all(copper::log::LogReader& reader, const MappingSet& mappings, Check check) {
  const json& slots = reader.metadata()["slots"];
  std::vector<std::vector<const Mapping*>> by_slot(slots.size());
  for (size_t i = 0; i < slots.size(); ++i) {
    by_slot[i] = mappings.views_of(slots[i]["type"].get<std::string>());
    for (const Mapping* view : by_slot[i]) {
      const copper::Status fits = view->check_against(slots[i]["schema"]);
      INFO(fits.message());
      REQUIRE(fits.ok());
    }
  }
  size_t converted = 0;
  reader.for_each_copperlist([&](const copper::log::CopperListView& cl) {
    for (size_t i = 0; i < cl.slots.size(); ++i) {
      for (const Mapping* view : by_slot[i]) {
        auto decoder = reader.slot_decoder(i);
        REQUIRE(decoder.ok());
        auto message = decoder->decode(cl.slots[i].bytes, copper::BytesAs::base64);
        REQUIRE(message.ok());
        auto out = view->convert(*message, cl.slots[i].time_of_validity_ns);
        INFO(out.error_message());
        REQUIRE(out.ok());
        // Given up (the exports' way: the image's base64 moved, not copied): the same view.
        auto moved = view->convert(json(*message), cl.slots[i].time_of_validity_ns);
        REQUIRE(moved.ok());
        CHECK(*moved == *out);
        const json* schema = copper::foxglove::well_known_json_schema(view->schema_name());
        REQUIRE(schema != nullptr);
        REQUIRE(copper_test::schema_problem(*out, *schema) == "");
        check(slots[i]["producer"].get<std::string>(), *message, *out);
        ++converted;
      }
    }
    return true;
  });
  return converted;
}

// The camera as an image, the lidar as a scan, the pose twice: as a pose,
// and as the transform that places the rover's frame (the scan's) in the
// room.
TEST_CASE("foxglove.rover.records_its_four_views_and_they_convert") {
  const testing_tasks::RecordedLog log(testing_tasks::read_rover_config(), "foxglove_rover", 12);
  auto reader = copper::log::LogReader::open(log.path);
  REQUIRE(reader.ok());
  const json& views = reader->metadata()["foxglove"];
  REQUIRE(views.is_object());
  CHECK(views.size() == 3);
  CHECK(views["rover::Image"]["schema"] == "foxglove.RawImage");
  CHECK(views["rover::LidarScan"]["schema"] == "foxglove.LaserScan");
  REQUIRE(views["rover::Pose2D"].is_array());
  REQUIRE(views["rover::Pose2D"].size() == 2);
  CHECK(views["rover::Pose2D"][0]["schema"] == "foxglove.PoseInFrame");
  CHECK(views["rover::Pose2D"][0]["frame_id"] == "room");
  CHECK(views["rover::Pose2D"][1]["schema"] == "foxglove.FrameTransform");
  CHECK(views["rover::Pose2D"][1]["child_frame_id"] == views["rover::LidarScan"]["frame_id"]);

  auto mappings = MappingSet::load(reader->metadata(), "");
  REQUIRE(mappings.ok());
  CHECK(mappings->all().size() == 4);
  std::map<std::string, size_t> seen;
  const size_t converted =
      convert_all(*reader, *mappings, [&](const std::string& task, const json& in, const json& out) {
        ++seen[task];
        if (task == "pose" && out.contains("child_frame_id")) {
          CHECK(out["parent_frame_id"] == "room");
          CHECK(out["child_frame_id"] == "rover");
          CHECK(out["translation"]["x"] == in["x"]);
          CHECK(out["translation"]["y"] == in["y"]);
          CHECK(out["rotation"]["z"].get<double>() == doctest::Approx(std::sin(in["theta"].get<double>() / 2)));
          return;
        }
        if (task == "camera") {
          CHECK(out["encoding"] == "mono8");
          CHECK(out["step"] == out["width"]);
          const uint64_t bytes = copper::foxglove::detail::base64_size(out["data"].get<std::string>());
          CHECK(bytes == out["width"].get<uint64_t>() * out["height"].get<uint64_t>());
          CHECK(out["width"] == in["width"]);
        } else if (task == "lidar") {
          const size_t beams = out["ranges"].size();
          REQUIRE(beams == in["ranges"].size());
          CHECK(beams > 1);
          const double expected_end =
              in["angle_min"].get<double>() + in["angle_increment"].get<double>() * (beams - 1.0);
          CHECK(out["end_angle"].get<double>() == doctest::Approx(expected_end));
          CHECK(out["frame_id"] == "rover");
        } else if (task == "pose") {
          const json& q = out["pose"]["orientation"];
          const double yaw = std::atan2(2 * q["w"].get<double>() * q["z"].get<double>(),
                                        1 - 2 * q["z"].get<double>() * q["z"].get<double>());
          CHECK(std::remainder(yaw - in["theta"].get<double>(), 2 * M_PI) == doctest::Approx(0.0));
          CHECK(out["pose"]["position"]["x"] == in["x"]);
        }
      });
  auto channels = copper::foxglove::well_known_channels(*mappings, reader->metadata());
  REQUIRE(channels.ok());
  std::vector<std::string> topics;
  for (const auto& channel : *channels) {
    topics.push_back(channel.topic);
    CHECK(reader->metadata()["slots"][channel.slot]["type"] == channel.mapping->message_type());
  }
  std::sort(topics.begin(), topics.end());
  CHECK(topics == std::vector<std::string>{"/camera/image", "/lidar/scan", "/pose/pose", "/pose/tf"});
  CHECK(converted == 4 * 12);
  CHECK(seen == std::map<std::string, size_t>{{"camera", 12}, {"lidar", 12}, {"pose", 24}});
}

TEST_CASE("foxglove.rover.only_the_graph_s_types_are_recorded") {
  const testing_tasks::RecordedLog log(R"({"plugins": ["rover"], "tasks": [
      {"id": "lidar", "type": "rover/lidar", "params": {"seed": 1, "rate_hz": 10, "beams": 8, "range_max": 5.0}}]})",
                                       "foxglove_rover_lidar", 3);
  auto reader = copper::log::LogReader::open(log.path);
  REQUIRE(reader.ok());
  const json& views = reader->metadata()["foxglove"];
  CHECK(views == json({{"rover::LidarScan", views["rover::LidarScan"]}}));
}

TEST_CASE("foxglove.rover.views_reach_the_log_through_the_plugin") {
  copper_test::ScratchDir dir("foxglove_plugin_record");
  const std::string path = (dir / "rover.copper").string();
  const auto run = testing_tasks::run_command(
      std::string(COPPER_RECORD_PATH) + " --config " COPPER_SOURCE_DIR "/examples/rover.json --cycles 3 -o " + path);
  INFO(run.output);
  REQUIRE(run.exit_code == 0);
  auto reader = copper::log::LogReader::open(path);
  REQUIRE(reader.ok());
  CHECK(reader->metadata()["foxglove"].size() == 3);
}

// A corpus log recorded before any declaration: a mapping file shows its
// fixture types as a pose and a log line.
TEST_CASE("foxglove.mapping_file.serves_a_log_recorded_without_declarations") {
  auto reader = copper::log::LogReader::open(COPPER_CORPUS_DIR "/clean.copper");
  REQUIRE(reader.ok());
  CHECK_FALSE(reader->metadata().contains("foxglove"));
  copper_test::ScratchDir dir("foxglove_mapping_file");
  const std::string file = (dir / "views.json").string();
  std::ofstream(file) << R"({
    "testing_tasks::Number": {"schema": "foxglove.PoseInFrame", "frame_id": "line", "topic_suffix": "/where",
                              "fields": {"x": {"field": "value", "scale": 0.01}}},
    "testing_tasks::Text": {"schema": "foxglove.Log", "name": "text", "level": 2, "fields": {"message": "text"}}
  })";
  auto mappings = MappingSet::load(reader->metadata(), file);
  INFO(mappings.error_message());
  REQUIRE(mappings.ok());
  size_t poses = 0, lines = 0;
  const size_t converted = convert_all(*reader, *mappings, [&](const std::string&, const json& in, const json& out) {
    if (out.contains("pose")) {
      ++poses;
      CHECK(out["pose"]["position"]["x"].get<double>() == doctest::Approx(in["value"].get<double>() * 0.01));
    } else {
      ++lines;
      CHECK(out["message"] == in["text"]);
    }
  });
  CHECK(converted == poses + lines);
  CHECK(poses == 3 * 200);  // three Number slots
  CHECK(lines == 200);
  REQUIRE(mappings->views_of("testing_tasks::Number").size() == 1);
  CHECK(mappings->views_of("testing_tasks::Number")[0]->topic_suffix() == "/where");
}

TEST_CASE("foxglove.mapping_file.that_does_not_fit_the_log_names_the_field") {
  auto reader = copper::log::LogReader::open(COPPER_CORPUS_DIR "/clean.copper");
  REQUIRE(reader.ok());
  copper_test::ScratchDir dir("foxglove_mapping_misfit");
  const std::string file = (dir / "views.json").string();
  std::ofstream(file) << R"({"testing_tasks::Text": {"schema": "foxglove.Log", "fields": {"message": "txt"}}})";
  auto mappings = MappingSet::load(reader->metadata(), file);
  REQUIRE(mappings.ok());  // the file itself is well-formed
  const json& slot = reader->metadata()["slots"][3];
  REQUIRE(slot["type"] == "testing_tasks::Text");
  REQUIRE(mappings->views_of("testing_tasks::Text").size() == 1);
  const copper::Status fits = mappings->views_of("testing_tasks::Text")[0]->check_against(slot["schema"]);
  const std::string error(fits.message());
  CHECK(error.find("mapping file " + file + " at /testing_tasks::Text/fields/message: ") == 0);
  CHECK(error.find("no field \"txt\"") != std::string::npos);
  auto channels = copper::foxglove::well_known_channels(*mappings, reader->metadata());
  REQUIRE_FALSE(channels.ok());
  CHECK(std::string(channels.error_message()) == "slot 3 (text): " + error);
}

// ---- declarations the recorder refuses -----------------------------------

struct Misfit {
  int64_t stamp_ns = 0;
  std::string label;
};
BOOST_DESCRIBE_STRUCT(Misfit, (), (stamp_ns, label))
struct Twice {
  double x = 0;
};
BOOST_DESCRIBE_STRUCT(Twice, (), (x))

// "x" is not a field of Misfit.
COPPER_FOXGLOVE_VIEW(foxglove_log_test::Misfit,
                     R"({"schema": "foxglove.PoseInFrame", "frame_id": "f", "fields": {"x": "x"}})");
COPPER_FOXGLOVE_VIEW(foxglove_log_test::Twice, R"({"schema": "foxglove.PoseInFrame", "frame_id": "a"})");
COPPER_FOXGLOVE_VIEW(foxglove_log_test::Twice, R"({"schema": "foxglove.PoseInFrame", "frame_id": "b"})");
COPPER_FOXGLOVE_VIEW(foxglove_log_test::Twice, R"({"schema": "foxglove.PoseInFrame", "frame_id": "a"})");

template <class T>
class Emit : public copper::Source<T> {
 public:
  copper::Status process(const copper::Context&, T&) override { return {}; }
};
COPPER_REGISTER_TASK(Emit<Misfit>, "foxglove_test/misfit");
COPPER_REGISTER_TASK(Emit<Twice>, "foxglove_test/twice");

std::string writer_error(const std::string& type) {
  auto built = testing_tasks::build_graph(R"({"tasks": [{"id": "s", "type": ")" + type + R"("}]})");
  REQUIRE(built.graph);
  copper_test::ScratchDir dir("foxglove_refused");
  copper::log::WriterOptions options;
  options.path = dir / "refused.copper";
  auto writer = copper::log::LogWriter::create(options, *built.graph);
  REQUIRE_FALSE(writer.ok());
  CHECK(writer.code() == copper::StatusCode::invalid_argument);
  CHECK_FALSE(std::filesystem::exists(options.path));
  return std::string(writer.error_message());
}

TEST_CASE("foxglove.declaration.that_does_not_fit_its_type_stops_the_recorder") {
  const std::string error = writer_error("foxglove_test/misfit");
  CHECK(error.find("foxglove view declared for foxglove_log_test::Misfit") != std::string::npos);
  CHECK(error.find("/foxglove_log_test::Misfit/fields/x: ") != std::string::npos);
  CHECK(error.find("no field \"x\"") != std::string::npos);
}

TEST_CASE("foxglove.declaration.two_different_for_one_type_stop_the_recorder") {
  const std::string error = writer_error("foxglove_test/twice");
  CHECK(error.find("foxglove_log_test::Twice") != std::string::npos);
  CHECK(error.find("again, differently") != std::string::npos);
}

}  // namespace foxglove_log_test
