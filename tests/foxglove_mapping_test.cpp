// libcopper/src/foxglove: JSON Schemas of copper messages, the Foxglove
// well-known schemas, and mappings of message types onto them.
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <limits>

#include "copper/message.hpp"
#include "fixtures/json_schema_check.hpp"
#include "fixtures/message_types.hpp"
#include "fixtures/scratch_dir.hpp"
#include "foxglove/mapping.hpp"

namespace foxglove_test {

using copper::foxglove::json_schema_of;
using copper::foxglove::well_known_json_schema;
using copper_test::schema_problem;
using nlohmann::json;

// Every value of every field type renders (BytesAs::base64) to JSON its
// generated schema accepts.
TEST_CASE("foxglove.json_schema.accepts_every_decoded_field_type") {
  copper_test::Everything value = copper_test::make_everything();
  value.f32 = std::numeric_limits<float>::quiet_NaN();  // renders as null
  const json schema = copper::schema_of<copper_test::Everything>();
  std::vector<uint8_t> bytes;
  copper::encode(value, bytes);
  auto decoder = copper::MessageDecoder::compile(schema);
  REQUIRE(decoder.ok());
  auto decoded = decoder->decode(bytes, copper::BytesAs::base64);
  REQUIRE(decoded.ok());
  const json generated = json_schema_of(schema);
  CHECK(schema_problem(*decoded, generated) == "");
  CHECK(generated["properties"]["blob"] == json({{"type", "string"}, {"contentEncoding", "base64"}}));
  CHECK(generated["properties"]["i64"] == json({{"type", "integer"}}));
  CHECK(generated["properties"]["u64"] == json({{"type", "integer"}}));
  CHECK(generated["properties"]["triple"]["minItems"] == 3);
  CHECK(generated["properties"]["origin"]["required"] == json({"x", "y", "z"}));
  CHECK(generated["additionalProperties"] == false);
}

TEST_CASE("foxglove.json_schema.rejects_what_the_type_cannot_hold") {
  const json generated = json_schema_of(copper::schema_of<copper_test::Tiny>());
  const json good = copper::to_json(copper_test::Tiny{});
  REQUIRE(schema_problem(good, generated) == "");
  json wrong_type = good;
  wrong_type["a"] = "seven";
  CHECK(schema_problem(wrong_type, generated) != "");
  json out_of_range = good;
  out_of_range["a"] = 70000;  // a u16
  CHECK(schema_problem(out_of_range, generated) != "");
  json short_array = good;
  short_array["arr"] = json::array({1});
  CHECK(schema_problem(short_array, generated) != "");
  json missing = good;
  missing.erase("d");
  CHECK(schema_problem(missing, generated) != "");
  json extra = good;
  extra["e"] = 1;
  CHECK(schema_problem(extra, generated) != "");
}

TEST_CASE("foxglove.json_schema.fixed_byte_array_has_its_base64_length") {
  const json generated = json_schema_of(copper::schema_of<copper_test::Everything>());
  // corners is an array of structs; no fixed byte array in Everything, so build one.
  const json schema = {{"name", "t::Rgb"}, {"fields", {{{"name", "rgb"}, {"type", {{"array", "u8"}, {"size", 4}}}}}}};
  REQUIRE(copper::validate_schema(schema).ok());
  const json rgb = json_schema_of(schema)["properties"]["rgb"];
  CHECK(rgb["minLength"] == 8);  // 4 bytes: two base64 groups
  CHECK(rgb["maxLength"] == 8);
  CHECK(generated["properties"]["corners"]["items"]["title"] == "copper_test::Vec3");
}

TEST_CASE("foxglove.well_known.names_the_six_schemas") {
  for (const char* name : {"foxglove.RawImage", "foxglove.CompressedImage", "foxglove.LaserScan",
                           "foxglove.PoseInFrame", "foxglove.FrameTransform", "foxglove.Log"}) {
    CAPTURE(name);
    const json* schema = well_known_json_schema(name);
    REQUIRE(schema != nullptr);
    CHECK((*schema)["title"] == name);
    CHECK((*schema)["properties"].contains("timestamp"));
  }
  CHECK(well_known_json_schema("foxglove.PointCloud") == nullptr);
  CHECK(well_known_json_schema("") == nullptr);
}

TEST_CASE("foxglove.timestamp.splits_and_floors") {
  CHECK(copper::foxglove::timestamp(0) == json({{"sec", 0}, {"nsec", 0}}));
  CHECK(copper::foxglove::timestamp(1'500'000'001) == json({{"sec", 1}, {"nsec", 500'000'001}}));
  CHECK(copper::foxglove::timestamp(-1) == json({{"sec", -1}, {"nsec", 999'999'999}}));
  const int64_t big = std::numeric_limits<int64_t>::max();
  const json t = copper::foxglove::timestamp(big);
  CHECK(t["sec"].get<int64_t>() * 1'000'000'000 + t["nsec"].get<int64_t>() == big);
}

TEST_CASE("foxglove.log_message.is_a_valid_foxglove_log") {
  copper::foxglove::LogLine line;
  line.time_ns = 3'000'000'007;
  line.level = 4;
  line.name = "lidar";
  line.message = "dropout";
  line.file = "lidar.cpp";
  line.line = 42;
  const json message = copper::foxglove::log_message(line);
  CHECK(schema_problem(message, *well_known_json_schema("foxglove.Log")) == "");
  CHECK(message["level"] == 4);
  CHECK(message["timestamp"]["nsec"] == 7);
  CHECK(message["name"] == "lidar");
  CHECK(message["line"] == 42);
  line.level = 9;  // not a Foxglove level
  const json unknown = copper::foxglove::log_message(line);
  CHECK(schema_problem(unknown, *well_known_json_schema("foxglove.Log")) == "");
  CHECK(unknown["level"] == 0);
}

}  // namespace foxglove_test

namespace foxglove_test {

using copper::Status;
using copper::foxglove::Mapping;
using copper::foxglove::MappingSet;

struct Gray {
  int64_t stamp_ns = 0;
  uint16_t width = 0;
  uint16_t height = 0;
  std::vector<uint8_t> pixels;
};
BOOST_DESCRIBE_STRUCT(Gray, (), (stamp_ns, width, height, pixels))

struct Scan {
  float angle_min = 0;
  float angle_increment = 0;
  float range_max = 0;
  std::vector<float> ranges;
  std::vector<uint16_t> strength;
};
BOOST_DESCRIBE_STRUCT(Scan, (), (angle_min, angle_increment, range_max, ranges, strength))

struct Planar {
  double x = 0;
  double y = 0;
  double theta = 0;
  std::array<double, 4> q{};
  std::string frame;
};
BOOST_DESCRIBE_STRUCT(Planar, (), (x, y, theta, q, frame))

struct Jpeg {
  std::string format;
  std::vector<uint8_t> bytes;
};
BOOST_DESCRIBE_STRUCT(Jpeg, (), (format, bytes))

struct Note {
  uint8_t severity = 0;
  std::string text;
  std::string source;
  uint32_t line = 0;
};
BOOST_DESCRIBE_STRUCT(Note, (), (severity, text, source, line))

// The message as the tools see it: encoded, then decoded generically with
// byte runs as base64.
template <class T>
json decoded(const T& value) {
  std::vector<uint8_t> bytes;
  copper::encode(value, bytes);
  auto decoder = copper::MessageDecoder::compile(copper::schema_of<T>());
  REQUIRE(decoder.ok());
  auto message = decoder->decode(bytes, copper::BytesAs::base64);
  REQUIRE(message.ok());
  return *message;
}

template <class T>
Mapping mapping_for(const json& form) {
  auto mapping = Mapping::parse({{copper::type_name<T>(), form}}, "test");
  INFO(mapping.error_message());
  REQUIRE(mapping.ok());
  const Status checked = mapping->check_against(copper::schema_of<T>());
  INFO(checked.message());
  REQUIRE(checked.ok());
  return *mapping;
}

// Converts, and checks the result against the well-known JSON Schema.
json converted(const Mapping& mapping, const json& message, int64_t time_ns = 1'000'000'123) {
  auto out = mapping.convert(message, time_ns);
  INFO(out.error_message());
  REQUIRE(out.ok());
  const json* schema = well_known_json_schema(mapping.schema_name());
  REQUIRE(schema != nullptr);
  CHECK(schema_problem(*out, *schema) == "");
  CHECK((*out)["timestamp"] == copper::foxglove::timestamp(time_ns));
  return *out;
}

TEST_CASE("foxglove.mapping.raw_image_computes_step_from_the_encoding") {
  const Mapping mapping =
      mapping_for<Gray>({{"schema", "foxglove.RawImage"},
                         {"frame_id", "camera"},
                         {"encoding", "mono8"},
                         {"fields", {{"width", "width"}, {"height", "height"}, {"data", "pixels"}}}});
  CHECK(mapping.topic_suffix() == "/image");
  Gray image{5, 4, 3, std::vector<uint8_t>(12, 7)};
  const json out = converted(mapping, decoded(image));
  CHECK(out["width"] == 4);
  CHECK(out["height"] == 3);
  CHECK(out["step"] == 4);
  CHECK(out["encoding"] == "mono8");
  CHECK(out["frame_id"] == "camera");
  CHECK(*copper::base64_decode(out["data"].get<std::string>()) == image.pixels);
}

TEST_CASE("foxglove.mapping.raw_image_takes_16_bit_and_colour_encodings") {
  for (auto [encoding, bytes] : {std::pair{"16UC1", 2}, {"rgb8", 3}, {"bgra8", 4}, {"mono16", 2}}) {
    CAPTURE(encoding);
    const Mapping mapping =
        mapping_for<Gray>({{"schema", "foxglove.RawImage"},
                           {"encoding", encoding},
                           {"fields", {{"width", "width"}, {"height", "height"}, {"data", "pixels"}}}});
    Gray image{0, 2, 3, std::vector<uint8_t>(static_cast<size_t>(6 * bytes), 1)};
    const json out = converted(mapping, decoded(image));
    CHECK(out["step"] == 2 * bytes);
    image.pixels.pop_back();  // one byte short of height * step
    auto short_image = mapping.convert(decoded(image), 0);
    REQUIRE_FALSE(short_image.ok());
    CHECK(std::string(short_image.error_message()).find("fewer than height 3") != std::string::npos);
  }
}

TEST_CASE("foxglove.mapping.raw_image_step_may_be_a_constant_or_a_field") {
  const Mapping padded =
      mapping_for<Gray>({{"schema", "foxglove.RawImage"},
                         {"encoding", "weird"},
                         {"step", 8},
                         {"fields", {{"width", "width"}, {"height", "height"}, {"data", "pixels"}}}});
  const json out = converted(padded, decoded(Gray{0, 4, 2, std::vector<uint8_t>(16)}));
  CHECK(out["step"] == 8);
  const Mapping from_field = mapping_for<Gray>(
      {{"schema", "foxglove.RawImage"},
       {"encoding", "mono8"},
       {"fields", {{"width", "width"}, {"height", "height"}, {"step", "width"}, {"data", "pixels"}}}});
  CHECK(converted(from_field, decoded(Gray{0, 3, 1, std::vector<uint8_t>(3)}))["step"] == 3);
  // A computed step Foxglove's uint32 cannot hold, and a height * step past 2^64: refused, not wrapped.
  const Mapping wide = mapping_for<Gray>({{"schema", "foxglove.RawImage"},
                                          {"encoding", "rgba8"},
                                          {"width", 4294967295u},
                                          {"fields", {{"height", "height"}, {"data", "pixels"}}}});
  auto too_wide = wide.convert(decoded(Gray{0, 0, 1, std::vector<uint8_t>(4)}), 0);
  REQUIRE_FALSE(too_wide.ok());
  CHECK(std::string(too_wide.error_message()).find("exceeds 2^32-1") != std::string::npos);
  const Mapping tall = mapping_for<Gray>({{"schema", "foxglove.RawImage"},
                                          {"encoding", "mono8"},
                                          {"height", 4294967295u},
                                          {"step", 4294967295u},
                                          {"fields", {{"width", "width"}, {"data", "pixels"}}}});
  CHECK_FALSE(tall.convert(decoded(Gray{0, 1, 0, std::vector<uint8_t>(4)}), 0).ok());
}

TEST_CASE("foxglove.mapping.compressed_image_carries_format_and_data") {
  const Mapping mapping = mapping_for<Jpeg>({{"schema", "foxglove.CompressedImage"},
                                             {"frame_id", "cam"},
                                             {"fields", {{"format", "format"}, {"data", "bytes"}}}});
  const json out = converted(mapping, decoded(Jpeg{"jpeg", {0xFF, 0xD8, 0xFF}}));
  CHECK(out["format"] == "jpeg");
  CHECK(out["data"] == "/9j/");
}

// convert of an rvalue moves the image's base64 out of the message rather
// than copying it: the same view, and nothing taken that another target
// still reads (a mapping never checked against its schema may read one
// string field twice).
TEST_CASE("foxglove.mapping.converting_a_message_given_up_gives_the_same_view") {
  const Mapping mapping = mapping_for<Jpeg>({{"schema", "foxglove.CompressedImage"},
                                             {"frame_id", "cam"},
                                             {"fields", {{"format", "format"}, {"data", "bytes"}}}});
  const json message = decoded(Jpeg{"jpeg", std::vector<uint8_t>(3000, 0xD8)});
  json given_up = message;
  auto moved = mapping.convert(std::move(given_up), 7);
  REQUIRE(moved.ok());
  CHECK(*moved == converted(mapping, message, 7));
  CHECK((*moved)["data"].get_ref<const std::string&>().size() == 4000);

  auto unchecked = Mapping::parse(
      {{copper::type_name<Jpeg>(),
        {{"schema", "foxglove.CompressedImage"}, {"fields", {{"format", "format"}, {"data", "format"}}}}}},
      "test");
  REQUIRE(unchecked.ok());
  auto twice = unchecked->convert(json(message), 7);
  REQUIRE(twice.ok());
  CHECK((*twice)["data"] == "jpeg");
  CHECK((*twice)["format"] == "jpeg");
}

TEST_CASE("foxglove.mapping.laser_scan_end_angle_from_the_increment_and_limits") {
  const Mapping mapping = mapping_for<Scan>({{"schema", "foxglove.LaserScan"},
                                             {"frame_id", "base"},
                                             {"range_min", 0.05},
                                             {"x", 0.2},
                                             {"yaw", M_PI},
                                             {"fields",
                                              {{"ranges", "ranges"},
                                               {"start_angle", "angle_min"},
                                               {"angle_increment", "angle_increment"},
                                               {"range_max", "range_max"},
                                               {"intensities", "strength"}}}});
  CHECK(mapping.topic_suffix() == "/scan");
  Scan scan{-1.0f, 0.5f, 10.0f, {1.0f, 0.0f, 11.0f, std::numeric_limits<float>::infinity(), 2.5f}, {1, 2, 3, 4, 5}};
  const json out = converted(mapping, decoded(scan));
  CHECK(out["start_angle"].get<double>() == doctest::Approx(-1.0));
  CHECK(out["end_angle"].get<double>() == doctest::Approx(1.0));  // -1 + 0.5 * 4
  CHECK(out["ranges"] == json({1.0, 0.0, 0.0, 0.0, 2.5}));        // below min, above max, infinite: 0
  CHECK(out["intensities"] == json({1.0, 2.0, 3.0, 4.0, 5.0}));
  CHECK(out["pose"]["position"] == json({{"x", 0.2}, {"y", 0.0}, {"z", 0.0}}));
  CHECK(out["pose"]["orientation"]["z"].get<double>() == doctest::Approx(1.0));
  CHECK(out["pose"]["orientation"]["w"].get<double>() == doctest::Approx(0.0));
}

TEST_CASE("foxglove.mapping.laser_scan_scales_units") {
  const Mapping mapping = mapping_for<Scan>({{"schema", "foxglove.LaserScan"},
                                             {"frame_id", "base"},
                                             {"start_angle", 0},
                                             {"end_angle", 1},
                                             {"fields", {{"ranges", {{"field", "ranges"}, {"scale", 0.001}}}}}});
  const json out = converted(mapping, decoded(Scan{0, 0, 0, {1500.0f, 250.0f}, {}}));
  CHECK(out["ranges"][0].get<double>() == doctest::Approx(1.5));
  CHECK(out["ranges"][1].get<double>() == doctest::Approx(0.25));
  CHECK(out["end_angle"] == 1.0);
  CHECK(out["intensities"] == json::array());
}

TEST_CASE("foxglove.mapping.pose_in_frame_from_planar_yaw") {
  const Mapping mapping = mapping_for<Planar>({{"schema", "foxglove.PoseInFrame"},
                                               {"frame_id", "room"},
                                               {"fields", {{"x", "x"}, {"y", "y"}, {"yaw", "theta"}}}});
  const json out = converted(mapping, decoded(Planar{1.5, -2.0, M_PI / 2, {}, ""}));
  CHECK(out["frame_id"] == "room");
  CHECK(out["pose"]["position"] == json({{"x", 1.5}, {"y", -2.0}, {"z", 0.0}}));
  const json& q = out["pose"]["orientation"];
  CHECK(q["x"] == 0.0);
  CHECK(q["y"] == 0.0);
  CHECK(q["z"].get<double>() == doctest::Approx(std::sqrt(0.5)));
  CHECK(q["w"].get<double>() == doctest::Approx(std::sqrt(0.5)));
}

TEST_CASE("foxglove.mapping.frame_transform_from_a_quaternion_and_a_frame_field") {
  const Mapping mapping = mapping_for<Planar>(
      {{"schema", "foxglove.FrameTransform"},
       {"parent_frame_id", "room"},
       {"topic_suffix", "/tf_base"},
       {"fields",
        {{"child_frame_id", "frame"}, {"x", "x"}, {"qx", "q[0]"}, {"qy", "q[1]"}, {"qz", "q[2]"}, {"qw", "q[3]"}}}});
  CHECK(mapping.topic_suffix() == "/tf_base");
  const json out = converted(mapping, decoded(Planar{3, 0, 0, {0, 0, 0.6, 0.8}, "base"}));
  CHECK(out["parent_frame_id"] == "room");
  CHECK(out["child_frame_id"] == "base");
  CHECK(out["translation"]["x"] == 3.0);
  CHECK(out["rotation"] == json({{"x", 0.0}, {"y", 0.0}, {"z", 0.6}, {"w", 0.8}}));
}

TEST_CASE("foxglove.mapping.log_from_fields") {
  const Mapping mapping = mapping_for<Note>(
      {{"schema", "foxglove.Log"},
       {"name", "planner"},
       {"fields", {{"level", "severity"}, {"message", "text"}, {"file", "source"}, {"line", "line"}}}});
  const json out = converted(mapping, decoded(Note{3, "slow", "planner.cpp", 12}));
  CHECK(out["level"] == 3);
  CHECK(out["message"] == "slow");
  CHECK(out["name"] == "planner");
  CHECK(out["line"] == 12);
  auto bad = mapping.convert(decoded(Note{9, "x", "", 0}), 0);
  CHECK_FALSE(bad.ok());
}

TEST_CASE("foxglove.mapping.to_json_is_the_form_as_given") {
  const json form = {{"schema", "foxglove.PoseInFrame"}, {"frame_id", "room"}, {"fields", {{"x", "x"}}}};
  const Mapping mapping = mapping_for<Planar>(form);
  CHECK(mapping.to_json() == form);
  CHECK(mapping.message_type() == "foxglove_test::Planar");
  CHECK(mapping.schema_name() == "foxglove.PoseInFrame");
}

// Each bad form is refused with an error naming the JSON path of the problem.
TEST_CASE("foxglove.mapping.bad_forms_name_their_json_path") {
  const json image_fields = {{"width", "width"}, {"height", "height"}, {"data", "pixels"}};
  struct Case {
    json form;
    std::string path;
    std::string says;
  };
  const std::vector<Case> cases = {
      {json::array(), "/T", "expected an object"},
      {{{"frame_id", "x"}}, "/T/schema", "names its \"schema\""},
      {{{"schema", "foxglove.PointCloud"}}, "/T/schema", "not \"foxglove.PointCloud\""},
      {{{"schema", "foxglove.RawImage"}, {"encoding", "mono8"}, {"fields", {{"width", "width"}}}},
       "/T",
       "needs \"height\""},
      {{{"schema", "foxglove.RawImage"}, {"encoding", "mono8"}, {"colour", 1}, {"fields", image_fields}},
       "/T/colour",
       "has no \"colour\""},
      {{{"schema", "foxglove.RawImage"}, {"encoding", 8}, {"fields", image_fields}},
       "/T/encoding",
       "expected a string"},
      {{{"schema", "foxglove.RawImage"},
        {"encoding", "mono8"},
        {"width", -1},
        {"fields", {{"height", "h"}, {"data", "d"}}}},
       "/T/width",
       "expected a count"},
      {{{"schema", "foxglove.RawImage"}, {"encoding", "nv12"}, {"fields", image_fields}},
       "/T/encoding",
       "give \"step\""},
      {{{"schema", "foxglove.RawImage"}, {"encoding", "mono8"}, {"width", 4}, {"fields", image_fields}},
       "/T/fields/width",
       "also given as a constant"},
      {{{"schema", "foxglove.RawImage"},
        {"encoding", "mono8"},
        {"fields", {{"width", "width"}, {"height", "height"}, {"data", "pix els"}}}},
       "/T/fields/data",
       "not a field path"},
      {{{"schema", "foxglove.RawImage"},
        {"encoding", "mono8"},
        {"fields", {{"width", {{"field", "width"}, {"scale", 2}}}, {"height", "height"}, {"data", "pixels"}}}},
       "/T/fields/width/scale",
       "only numbers scale"},
      {{{"schema", "foxglove.RawImage"},
        {"encoding", "mono8"},
        {"data", "AAAA"},
        {"fields", {{"width", "w"}, {"height", "h"}}}},
       "/T/data",
       "under \"fields\""},
      {{{"schema", "foxglove.RawImage"}, {"topic_suffix", "image"}, {"encoding", "mono8"}, {"fields", image_fields}},
       "/T/topic_suffix",
       "expected \"/name\""},
      {{{"schema", "foxglove.LaserScan"}, {"frame_id", "f"}, {"start_angle", 0}, {"fields", {{"ranges", "ranges"}}}},
       "/T",
       "exactly one of \"end_angle\" and \"angle_increment\""},
      {{{"schema", "foxglove.PoseInFrame"}, {"frame_id", "f"}, {"fields", {{"qx", "a"}, {"qy", "b"}}}},
       "/T/fields/qx",
       "needs all of"},
      {{{"schema", "foxglove.PoseInFrame"},
        {"frame_id", "f"},
        {"yaw", 1},
        {"fields", {{"qx", "a"}, {"qy", "b"}, {"qz", "c"}, {"qw", "d"}}}},
       "/T/yaw",
       "not both"},
      {{{"schema", "foxglove.PoseInFrame"}, {"frame_id", "f"}, {"fields", {{"x", {{"feld", "x"}}}}}},
       "/T/fields/x/feld",
       "unknown key"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.form.dump());
    auto mapping = Mapping::parse({{"T", c.form}}, "mapping file m.json");
    REQUIRE_FALSE(mapping.ok());
    const std::string error(mapping.error_message());
    CHECK(mapping.code() == copper::StatusCode::invalid_argument);
    CHECK(error.find("mapping file m.json at " + c.path + ": ") == 0);
    CHECK(error.find(c.says) != std::string::npos);
  }
}

TEST_CASE("foxglove.mapping.check_against_names_missing_and_mistyped_fields") {
  const json base = {{"schema", "foxglove.RawImage"}, {"encoding", "mono8"}};
  auto check = [&](const json& fields) {
    json form = base;
    form["fields"] = fields;
    auto mapping = Mapping::parse({{"foxglove_test::Gray", form}}, "log metadata");
    REQUIRE(mapping.ok());
    return std::string(mapping->check_against(copper::schema_of<Gray>()).message());
  };
  CHECK(check({{"width", "width"}, {"height", "height"}, {"data", "pixels"}}) == "");
  const std::string missing = check({{"width", "width"}, {"height", "height"}, {"data", "pixelz"}});
  CHECK(missing.find("log metadata at /foxglove_test::Gray/fields/data: ") == 0);
  CHECK(missing.find("no field \"pixelz\"") != std::string::npos);
  const std::string mistyped = check({{"width", "width"}, {"height", "height"}, {"data", "stamp_ns"}});
  CHECK(mistyped.find("a byte run") != std::string::npos);
  const std::string indexed = check({{"width", "width[1]"}, {"height", "height"}, {"data", "pixels"}});
  CHECK(indexed.find("not an array") != std::string::npos);
  json other_form = base;
  other_form["fields"] = {{"width", "width"}, {"height", "height"}, {"data", "pixels"}};
  auto other = Mapping::parse({{"other::Type", other_form}}, "f");
  REQUIRE(other.ok());
  CHECK_FALSE(other->check_against(copper::schema_of<Gray>()).ok());
  auto gray = Mapping::parse({{"foxglove_test::Gray", other_form}}, "f");
  REQUIRE(gray.ok());
  const Status invalid = gray->check_against({{"name", "foxglove_test::Gray"}, {"fields", 3}});
  CHECK(invalid.message().find("invalid schema") != std::string_view::npos);
}

TEST_CASE("foxglove.mapping_set.file_overrides_metadata_and_errors_name_the_file") {
  copper_test::ScratchDir dir("foxglove_mapping");
  const json pose_form = {{"schema", "foxglove.PoseInFrame"}, {"frame_id", "room"}, {"fields", {{"x", "x"}}}};
  const json metadata = {{"foxglove", {{"a::Pose", pose_form}, {"a::Other", pose_form}}}};
  auto write = [&](const std::string& text) {
    const auto path = dir / "map.json";
    std::ofstream(path) << text;
    return path.string();
  };
  json file_form = pose_form;
  file_form["frame_id"] = "world";
  auto set = MappingSet::load(metadata, write(json({{"a::Pose", file_form}}).dump()));
  REQUIRE(set.ok());
  CHECK(set->all().size() == 2);
  REQUIRE(set->views_of("a::Pose").size() == 1);
  CHECK(set->views_of("a::Pose")[0]->to_json()["frame_id"] == "world");
  CHECK(set->views_of("a::Other")[0]->to_json()["frame_id"] == "room");
  CHECK(set->views_of("a::None").empty());

  auto none = MappingSet::load(json::object(), "");
  REQUIRE(none.ok());
  CHECK(none->all().empty());

  const std::string path = write("{\"a::Pose\": {\"schema\": \"foxglove.PoseInFrame\"}}");
  auto bad_entry = MappingSet::load(json::object(), path);
  REQUIRE_FALSE(bad_entry.ok());
  CHECK(std::string(bad_entry.error_message()).find("mapping file " + path + " at /a::Pose: ") == 0);

  auto not_json = MappingSet::load(json::object(), write("{\"a::Pose\": "));
  REQUIRE_FALSE(not_json.ok());
  CHECK(std::string(not_json.error_message()).find("mapping file ") == 0);

  auto not_object = MappingSet::load(json::object(), write("[1]"));
  REQUIRE_FALSE(not_object.ok());
  CHECK(std::string(not_object.error_message()).find("at /: expected an object") != std::string::npos);

  auto missing = MappingSet::load(json::object(), (dir / "absent.json").string());
  CHECK(missing.code() == copper::StatusCode::not_found);

  auto bad_metadata = MappingSet::load({{"foxglove", {{"a::Pose", {{"schema", 3}}}}}}, "");
  REQUIRE_FALSE(bad_metadata.ok());
  CHECK(std::string(bad_metadata.error_message()).find("log metadata at /foxglove/a::Pose/schema: ") == 0);
}

// Several views of one type: an array of mappings, in its order, each on
// its own topic suffix; a file's entry replaces all the log's views of its
// type.
TEST_CASE("foxglove.mapping_set.a_type_may_have_several_views") {
  const json pose = {{"schema", "foxglove.PoseInFrame"}, {"frame_id", "room"}, {"fields", {{"x", "x"}}}};
  const json tf = {{"schema", "foxglove.FrameTransform"},
                   {"parent_frame_id", "room"},
                   {"child_frame_id", "rover"},
                   {"fields", {{"x", "x"}}}};
  auto set = MappingSet::load({{"foxglove", {{"a::Pose", {pose, tf}}}}}, "");
  REQUIRE(set.ok());
  const auto views = set->views_of("a::Pose");
  REQUIRE(views.size() == 2);
  CHECK(views[0]->schema_name() == "foxglove.PoseInFrame");
  CHECK(views[1]->schema_name() == "foxglove.FrameTransform");
  CHECK(views[1]->topic_suffix() == "/tf");
  const json metadata = {{"foxglove", {{"a::Pose", {pose, tf}}}}};

  copper_test::ScratchDir dir("foxglove_mapping_views");
  const auto file = (dir / "map.json").string();
  std::ofstream(file) << json({{"a::Pose", pose}}).dump();
  auto replaced = MappingSet::load(metadata, file);
  REQUIRE(replaced.ok());
  CHECK(replaced->views_of("a::Pose").size() == 1);

  auto same_topic = MappingSet::load({{"foxglove", {{"a::Pose", {pose, pose}}}}}, "");
  REQUIRE_FALSE(same_topic.ok());
  CHECK(std::string(same_topic.error_message()).find("log metadata at /foxglove/a::Pose/1: a second view") == 0);
  json other_suffix = pose;
  other_suffix["topic_suffix"] = "/pose2";
  CHECK(MappingSet::load({{"foxglove", {{"a::Pose", {pose, other_suffix}}}}}, "").ok());

  auto empty = MappingSet::load({{"foxglove", {{"a::Pose", json::array()}}}}, "");
  REQUIRE_FALSE(empty.ok());
  CHECK(std::string(empty.error_message()).find("log metadata at /foxglove/a::Pose: ") == 0);
  json bad = tf;
  bad.erase("child_frame_id");
  auto bad_second = MappingSet::load({{"foxglove", {{"a::Pose", {pose, bad}}}}}, "");
  REQUIRE_FALSE(bad_second.ok());
  CHECK(std::string(bad_second.error_message()).find("log metadata at /foxglove/a::Pose/1") == 0);
}

}  // namespace foxglove_test
