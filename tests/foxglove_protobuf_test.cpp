// libcopper/src/foxglove/protobuf: the sensor views' protobuf bytes, field
// by field against the wire format, and the errors. That the descriptor
// sets and the messages are Foxglove's is checked by the official readers
// (mcap_export_test: every image and scan decoded with @foxglove/schemas'
// own definition).
#include <doctest/doctest.h>

#include <string>

#include "copper/message.hpp"
#include "fixtures/message_types.hpp"
#include "foxglove/mapping.hpp"
#include "foxglove/protobuf.hpp"

namespace foxglove_protobuf_test {

using copper::foxglove::append_protobuf;
using copper::foxglove::protobuf_descriptor_set;
using copper::foxglove::writes_protobuf;
using nlohmann::json;

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out += static_cast<char>(v);
  return out;
}

TEST_CASE("foxglove.protobuf.only_the_sensor_views_are_written_as_protobuf") {
  for (const char* name : {"foxglove.RawImage", "foxglove.CompressedImage", "foxglove.LaserScan"}) {
    CAPTURE(name);
    CHECK(writes_protobuf(name));
    // The schema's name, its file and the timestamp's file are in its set.
    const std::string& set = protobuf_descriptor_set(name);
    CHECK(set.find(std::string(name).substr(9)) != std::string::npos);
    CHECK(set.find("google/protobuf/timestamp.proto") != std::string::npos);
  }
  CHECK(protobuf_descriptor_set("foxglove.LaserScan").find("foxglove/Pose.proto") != std::string::npos);
  for (const char* name : {"foxglove.PoseInFrame", "foxglove.Log", "foxglove.Pose", "rover::Image"}) {
    CAPTURE(name);
    CHECK_FALSE(writes_protobuf(name));
    CHECK(protobuf_descriptor_set(name).empty());
  }
}

// Each field as protobf.dev's encoding guide spells it: key = number << 3 |
// wire type; fixed32 little-endian; strings and bytes length-prefixed;
// fields at their default left out, the timestamp always written.
TEST_CASE("foxglove.protobuf.a_raw_image_is_encoded_field_by_field") {
  const json view = {{"timestamp", {{"sec", 1}, {"nsec", 300}}},
                     {"frame_id", "cam"},
                     {"width", 2},
                     {"height", 1},
                     {"encoding", "mono8"},
                     {"step", 2},
                     {"data", json::binary({0xff, 0x00})}};
  std::string out = "x";  // appended to
  REQUIRE(append_protobuf("foxglove.RawImage", view, out).ok());
  const std::string expected = "x" + bytes({0x0a, 0x05, 0x08, 0x01, 0x10, 0xac, 0x02}) +  // 1: {1: 1, 2: 300}
                               bytes({0x3a, 0x03}) + "cam" +                              // 7: "cam"
                               bytes({0x15, 0x02, 0x00, 0x00, 0x00}) +                    // 2: fixed32 2
                               bytes({0x1d, 0x01, 0x00, 0x00, 0x00}) +                    // 3: fixed32 1
                               bytes({0x22, 0x05}) + "mono8" +                            // 4: "mono8"
                               bytes({0x2d, 0x02, 0x00, 0x00, 0x00}) +                    // 5: fixed32 2
                               bytes({0x32, 0x02, 0xff, 0x00});                           // 6: bytes
  CHECK(out == expected);

  // The same image with its pixels as base64 encodes the same.
  json as_text = view;
  as_text["data"] = "/wA=";
  std::string from_text = "x";
  REQUIRE(append_protobuf("foxglove.RawImage", as_text, from_text).ok());
  CHECK(from_text == expected);

  // Zero and empty fields are left out; the timestamp stays.
  json empty = view;
  empty["frame_id"] = "";
  empty["step"] = 0;
  std::string sparse;
  REQUIRE(append_protobuf("foxglove.RawImage", empty, sparse).ok());
  CHECK(sparse.find("cam") == std::string::npos);
  CHECK(sparse.find(bytes({0x2d})) == std::string::npos);
  CHECK(sparse.starts_with(bytes({0x0a, 0x05})));
}

// Doubles as fixed64 little-endian, ranges packed (one length-prefixed
// run), the pose as nested messages; a negative time's seconds as a
// ten-byte varint (int64).
TEST_CASE("foxglove.protobuf.a_scan_packs_its_ranges_and_nests_its_pose") {
  const json view = {{"timestamp", {{"sec", -1}, {"nsec", 0}}},
                     {"frame_id", "l"},
                     {"pose",
                      {{"position", {{"x", 0.0}, {"y", 0.0}, {"z", 0.0}}},
                       {"orientation", {{"x", 0.0}, {"y", 0.0}, {"z", 0.0}, {"w", 1.0}}}}},
                     {"start_angle", -1.5},
                     {"end_angle", 0.0},
                     {"ranges", {1.0, 0.0}},
                     {"intensities", json::array()}};
  std::string out;
  REQUIRE(append_protobuf("foxglove.LaserScan", view, out).ok());
  const std::string expected =
      bytes({0x0a, 0x0b, 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}) +  // 1: {1: -1}
      bytes({0x12, 0x01}) + "l" +                                                              // 2: "l"
      bytes({0x1a, 0x0d, 0x0a, 0x00, 0x12, 0x09, 0x21, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f}) +  // 3: {1: {}, 2: {4: 1.0}}
      bytes({0x21, 0, 0, 0, 0, 0, 0, 0xf8, 0xbf}) +                                      // 4: -1.5
      bytes({0x32, 0x10, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0, 0, 0, 0, 0, 0, 0, 0});         // 6: [1.0, 0.0]
  CHECK(out == expected);
}

TEST_CASE("foxglove.protobuf.a_view_without_its_fields_is_refused_and_out_unchanged") {
  std::string out = "kept";
  const json no_data = {{"timestamp", {{"sec", 0}, {"nsec", 0}}}, {"width", 1}, {"height", 1}};
  const copper::Status missing = append_protobuf("foxglove.RawImage", no_data, out);
  CHECK(missing.code() == copper::StatusCode::invalid_argument);
  CHECK(std::string(missing.message()).find("\"frame_id\"") != std::string::npos);
  CHECK(out == "kept");
  const json wide = {{"timestamp", {{"sec", 0}, {"nsec", 0}}}, {"frame_id", ""}, {"width", 1ull << 32}};
  CHECK_FALSE(append_protobuf("foxglove.RawImage", wide, out).ok());
  CHECK(out == "kept");
  CHECK_FALSE(append_protobuf("foxglove.PoseInFrame", json::object(), out).ok());
  CHECK_FALSE(append_protobuf("foxglove.LaserScan", {{"ranges", {"far"}}}, out).ok());
  CHECK(out == "kept");
}

// The export's path: a rover image decoded with BytesAs::binary, shown
// through its mapping, encoded; the pixels land in the message unchanged.
TEST_CASE("foxglove.protobuf.a_mapped_image_decoded_as_binary_carries_its_pixels") {
  copper_test::Everything value = copper_test::make_everything();
  std::vector<uint8_t> encoded;
  copper::encode(value, encoded);
  auto decoder = copper::MessageDecoder::compile(copper::schema_of<copper_test::Everything>());
  REQUIRE(decoder.ok());
  auto message = decoder->decode(encoded, copper::BytesAs::binary);
  REQUIRE(message.ok());
  REQUIRE((*message)["blob"].is_binary());
  const std::vector<uint8_t>& run = (*message)["blob"].get_binary();
  CHECK(run == value.blob);
  auto mapping = copper::foxglove::Mapping::parse(
      json::parse(R"({"copper_test::Everything": {"schema": "foxglove.CompressedImage", "format": "png",
                                                  "fields": {"data": "blob"}}})"),
      "test");
  REQUIRE(mapping.ok());
  auto view = mapping->convert(std::move(*message), 5);
  REQUIRE(view.ok());
  std::string out;
  REQUIRE(append_protobuf("foxglove.CompressedImage", *view, out).ok());
  const std::string pixels(value.blob.begin(), value.blob.end());
  CHECK(out.find(bytes({0x12, static_cast<int>(pixels.size())}) + pixels) != std::string::npos);  // 2: data
  CHECK(out.find(bytes({0x1a, 0x03}) + "png") != std::string::npos);                              // 3: format
}

}  // namespace foxglove_protobuf_test
