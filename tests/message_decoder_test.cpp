// MessageDecoder: a schema compiled once, decoding like decode_to_json, and
// rendering byte runs as numbers, base64 or nothing.
#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "copper/base64.hpp"
#include "copper/message.hpp"

namespace decoder_test {

struct Patch {
  std::string name;
  std::vector<uint8_t> data;
};
BOOST_DESCRIBE_STRUCT(Patch, (), (name, data))

struct Frame {
  int64_t stamp_ns = 0;
  uint64_t big = 0;
  std::array<uint8_t, 3> rgb{};
  std::vector<uint8_t> pixels;
  std::vector<Patch> patches;
  std::vector<std::vector<uint8_t>> rows;
  std::vector<int8_t> signed_bytes;  // not a byte run: i8 stays numbers
  double ratio = 0;
};
BOOST_DESCRIBE_STRUCT(Frame, (), (stamp_ns, big, rgb, pixels, patches, rows, signed_bytes, ratio))

Frame sample() {
  Frame f;
  f.stamp_ns = INT64_MAX - 3;
  f.big = UINT64_MAX - 1;
  f.rgb = {1, 2, 250};
  f.pixels = {0, 1, 2, 3, 4};
  f.patches = {{"p", {9, 8}}, {"q", {}}};
  f.rows = {{1}, {2, 3}};
  f.signed_bytes = {-1, 1};
  f.ratio = 0.1;
  return f;
}

}  // namespace decoder_test

using decoder_test::Frame;

TEST_CASE("message.decoder.numbers_equal_typed_to_json_and_decode_to_json") {
  const Frame f = decoder_test::sample();
  std::vector<uint8_t> bytes;
  copper::encode(f, bytes);
  auto decoder = copper::MessageDecoder::compile(copper::schema_of<Frame>());
  REQUIRE(decoder.ok());
  CHECK(decoder->type_name() == "decoder_test::Frame");
  const auto generic = decoder->decode(bytes);
  REQUIRE(generic.ok());
  CHECK(*generic == copper::to_json(f));
  CHECK(*generic == *copper::decode_to_json(bytes, copper::schema_of<Frame>()));
  CHECK((*generic)["stamp_ns"].get<int64_t>() == INT64_MAX - 3);  // exact, not via double
  CHECK((*generic)["big"].get<uint64_t>() == UINT64_MAX - 1);
}

TEST_CASE("message.decoder.byte_runs_as_base64") {
  const Frame f = decoder_test::sample();
  std::vector<uint8_t> bytes;
  copper::encode(f, bytes);
  auto decoder = copper::MessageDecoder::compile(copper::schema_of<Frame>());
  const auto j = decoder->decode(bytes, copper::BytesAs::base64);
  REQUIRE(j.ok());
  CHECK((*j)["pixels"] == copper::base64_encode(f.pixels));
  CHECK((*j)["rgb"] == copper::base64_encode(f.rgb));
  CHECK((*j)["patches"][0]["data"] == "CQg=");
  CHECK((*j)["patches"][1]["data"] == "");
  CHECK((*j)["rows"][1] == "AgM=");
  CHECK((*j)["signed_bytes"] == nlohmann::json::array({-1, 1}));
  CHECK((*j)["ratio"] == 0.1);
}

TEST_CASE("message.decoder.byte_runs_omitted") {
  const Frame f = decoder_test::sample();
  std::vector<uint8_t> bytes;
  copper::encode(f, bytes);
  auto decoder = copper::MessageDecoder::compile(copper::schema_of<Frame>());
  const auto j = decoder->decode(bytes, copper::BytesAs::omitted);
  REQUIRE(j.ok());
  CHECK_FALSE(j->contains("pixels"));
  CHECK_FALSE(j->contains("rgb"));
  CHECK((*j)["patches"][0] == nlohmann::json{{"name", "p"}});
  CHECK((*j)["rows"] == nlohmann::json::array({nullptr, nullptr}));
  CHECK((*j)["big"].get<uint64_t>() == UINT64_MAX - 1);
}

TEST_CASE("message.decoder.errors_match_decode_to_json") {
  const Frame f = decoder_test::sample();
  std::vector<uint8_t> bytes;
  copper::encode(f, bytes);
  auto decoder = copper::MessageDecoder::compile(copper::schema_of<Frame>());
  for (size_t cut : {size_t{0}, size_t{9}, size_t{20}, bytes.size() - 1}) {
    const std::span<const uint8_t> prefix(bytes.data(), cut);
    const auto expected = copper::decode_to_json(prefix, copper::schema_of<Frame>());
    REQUIRE_FALSE(expected.ok());
    for (auto as : {copper::BytesAs::numbers, copper::BytesAs::base64, copper::BytesAs::omitted}) {
      const auto got = decoder->decode(prefix, as);
      REQUIRE_FALSE(got.ok());
      CHECK(got.error_message() == expected.error_message());
    }
  }
  bytes.push_back(0);
  CHECK(decoder->decode(bytes).error_message().find("1 trailing bytes") != std::string_view::npos);
}

TEST_CASE("message.decoder.invalid_schema_is_an_error") {
  const auto bad = copper::MessageDecoder::compile(
      nlohmann::json::parse(R"({"name": "x", "fields": [{"name": "a", "type": "f128"}]})"));
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error_message() == "invalid schema at /fields/0/type: unknown type \"f128\"");
}
