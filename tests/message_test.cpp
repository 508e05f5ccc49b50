// Messages: encoding, decoding, schemas, JSON, reset and the type-erased handle.
//
// The central claim is that the typed path (C++ type) and the generic path
// (bytes + schema) agree: same JSON for the same bytes, same rejections with
// the same messages for bad bytes.

#include "copper/message.hpp"

#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace copper_test {

struct Vec3 { double x = 0, y = 0, z = 0; };
BOOST_DESCRIBE_STRUCT(Vec3, (), (x, y, z))

struct Sample {
  std::string label;
  std::int16_t code = 0;
  bool valid = false;
};
BOOST_DESCRIBE_STRUCT(Sample, (), (label, code, valid))

// Every supported field type, several nestings, and the shapes that take the
// bulk (memcpy) paths as well as the element-wise ones.
struct Everything {
  bool flag = false;
  std::int8_t i8 = 0;
  std::int16_t i16 = 0;
  std::int32_t i32 = 0;
  std::int64_t i64 = 0;
  std::uint8_t u8 = 0;
  std::uint16_t u16 = 0;
  std::uint32_t u32 = 0;
  std::uint64_t u64 = 0;
  float f32 = 0;
  double f64 = 0;
  std::string text;
  std::vector<std::int32_t> ints;
  std::vector<std::uint8_t> blob;
  std::vector<std::string> words;
  std::array<float, 3> triple{};
  std::array<Vec3, 2> corners{};
  std::vector<Sample> samples;
  Vec3 origin;
  std::vector<std::vector<std::int32_t>> jagged;
  std::vector<bool> bits;
  std::array<bool, 3> mask{};
  std::vector<std::array<float, 3>> points;
  std::array<std::string, 2> pair;
  std::vector<double> doubles;
  std::vector<std::int64_t> longs;
};
BOOST_DESCRIBE_STRUCT(Everything, (),
                      (flag, i8, i16, i32, i64, u8, u16, u32, u64, f32, f64, text, ints, blob, words, triple, corners,
                       samples, origin, jagged, bits, mask, points, pair, doubles, longs))

struct Tiny {
  std::uint16_t a = 0;
  bool b = false;
  std::string s;
  std::vector<std::int32_t> v;
  std::array<std::int8_t, 2> arr{};
  double d = 0;
};
BOOST_DESCRIBE_STRUCT(Tiny, (), (a, b, s, v, arr, d))

struct Base { std::uint32_t id = 0; };
BOOST_DESCRIBE_STRUCT(Base, (), (id))
struct Derived : Base { std::string note; };
BOOST_DESCRIBE_STRUCT(Derived, (Base), (note))

struct Empty {};
BOOST_DESCRIBE_STRUCT(Empty, (), ())
struct HasEmpty { Empty nothing; std::int32_t a = 0; };
BOOST_DESCRIBE_STRUCT(HasEmpty, (), (nothing, a))

struct SampleList { std::vector<Sample> samples; };
BOOST_DESCRIBE_STRUCT(SampleList, (), (samples))

struct Robot {
  Vec3 pose;
  std::vector<Sample> samples;
  std::array<float, 3> rgb{};
  std::uint8_t level = 0;
};
BOOST_DESCRIBE_STRUCT(Robot, (), (pose, samples, rgb, level))

struct Shape {
  float x = 0;
  std::vector<Vec3> path;
  std::array<std::uint8_t, 4> rgba{};
};
BOOST_DESCRIBE_STRUCT(Shape, (), (x, path, rgba))

struct Nested { std::vector<std::vector<std::uint64_t>> vv; };
BOOST_DESCRIBE_STRUCT(Nested, (), (vv))
struct Text { std::string s; };
BOOST_DESCRIBE_STRUCT(Text, (), (s))

// Not messages.
struct HasChar { char c = 0; };
BOOST_DESCRIBE_STRUCT(HasChar, (), (c))
struct HasLongDouble { long double x = 0; };
BOOST_DESCRIBE_STRUCT(HasLongDouble, (), (x))
struct HasConst { const std::int32_t c = 0; };
BOOST_DESCRIBE_STRUCT(HasConst, (), (c))
struct VectorOfEmpty { std::vector<Empty> v; };
BOOST_DESCRIBE_STRUCT(VectorOfEmpty, (), (v))
struct VectorOfCharVector { std::vector<std::vector<char>> v; };
BOOST_DESCRIBE_STRUCT(VectorOfCharVector, (), (v))
struct NotDescribed { std::int32_t a = 0; };
struct HasUndescribedStruct { NotDescribed n; };
BOOST_DESCRIBE_STRUCT(HasUndescribedStruct, (), (n))
class HasPrivate {
 public:
  std::int32_t a = 0;

 private:
  std::int32_t b_ = 0;
  BOOST_DESCRIBE_CLASS(HasPrivate, (), (a), (), (b_))
};

}  // namespace copper_test

namespace {

using copper_test::Everything;
using copper_test::Sample;
using copper_test::Tiny;
using copper_test::Vec3;
using nlohmann::json;

static_assert(copper::Message<Everything>);
static_assert(copper::check_message<Everything>());
static_assert(copper::Message<copper_test::Derived>);
static_assert(copper::Message<copper_test::Empty>);
static_assert(copper::Message<copper_test::HasEmpty>);
static_assert(!copper::Message<int>);
static_assert(!copper::Message<std::string>);
static_assert(!copper::Message<copper_test::HasChar>);
static_assert(!copper::Message<copper_test::HasLongDouble>);
static_assert(!copper::Message<copper_test::HasConst>);
static_assert(!copper::Message<copper_test::VectorOfEmpty>);
static_assert(!copper::Message<copper_test::VectorOfCharVector>);
static_assert(!copper::Message<copper_test::HasPrivate>);
static_assert(!copper::Message<copper_test::NotDescribed>);
static_assert(!copper::Message<copper_test::HasUndescribedStruct>);

// The byte-swapping path big-endian hosts take.
static_assert(copper::detail::swap_bytes<std::uint32_t>(0x11223344U) == 0x44332211U);
static_assert(copper::detail::swap_bytes<std::uint64_t>(0x0102030405060708ULL) == 0x0807060504030201ULL);
static_assert(copper::detail::swap_bytes<std::uint16_t>(0xBEEF) == 0xEFBE);

Everything make_everything() {
  Everything e;
  e.flag = true;
  e.i8 = std::numeric_limits<std::int8_t>::min();
  e.i16 = -12345;
  e.i32 = std::numeric_limits<std::int32_t>::max();
  e.i64 = std::numeric_limits<std::int64_t>::min();
  e.u8 = 255;
  e.u16 = 0xBEEF;
  e.u32 = 0xDEADBEEF;
  e.u64 = std::numeric_limits<std::uint64_t>::max();
  e.f32 = 1e-40F;  // denormal
  e.f64 = -0.0;
  e.text = "h\xC3\xA9llo \"copper\"\n";
  e.ints = {std::numeric_limits<std::int32_t>::min(), -1, 0, 42};
  e.blob = {0, 1, 127, 128, 255};
  e.words = {"", "a", "copper"};
  e.triple = {1.5F, -2.25F, std::numeric_limits<float>::max()};
  e.corners = {Vec3{1, 2, 3}, Vec3{-4, -5, -6}};
  e.samples = {Sample{"s0", -7, true}, Sample{"", 32767, false}};
  e.origin = {0.1, 0.2, 0.3};
  e.jagged = {{1, 2, 3}, {}, {-9}};
  e.bits = {true, false, true, true};
  e.mask = {false, true, false};
  e.points = {{1, 2, 3}, {4, 5, 6}};
  e.pair = {"left", "right"};
  e.doubles = {std::numeric_limits<double>::max(), -std::numeric_limits<double>::min(),
               std::numeric_limits<double>::denorm_min(), 1.0 / 3.0};
  e.longs = {std::numeric_limits<std::int64_t>::max(), -2};
  return e;
}

template <class T>
std::vector<std::uint8_t> encoded(const T& msg) {
  std::vector<std::uint8_t> bytes;
  copper::encode(msg, bytes);
  return bytes;
}

std::span<const std::uint8_t> prefix(const std::vector<std::uint8_t>& bytes, std::size_t length) {
  return {bytes.data(), length};
}

// Decodes with both decoders and checks they agree with each other and with
// to_json of the original.
template <class T>
void check_paths_agree(const T& msg) {
  const auto bytes = encoded(msg);
  T decoded{};
  const copper::Status status = copper::decode(bytes, decoded);
  REQUIRE_MESSAGE(status.ok(), status.message());
  CHECK(copper::content_equal(decoded, msg));
  const auto generic = copper::decode_to_json(bytes, copper::schema_of<T>());
  REQUIRE_MESSAGE(generic.ok(), generic.error_message());
  CHECK(*generic == copper::to_json(msg));
  CHECK(generic->dump() == copper::to_json(msg).dump());
}

// A suite as well as dotted names, so both -ts='*message*' and -tc='message.*' select these.
TEST_SUITE_BEGIN("message");

TEST_CASE("message.type_name") {
  CHECK(copper::type_name<Everything>() == "copper_test::Everything");
  CHECK(copper::type_name<Vec3>() == "copper_test::Vec3");
}

TEST_CASE("message.encode.roundtrip_every_field_type") {
  const Everything original = make_everything();
  const auto bytes = encoded(original);
  CHECK(bytes.size() == copper::encoded_size(original));

  Everything decoded;
  const copper::Status status = copper::decode(bytes, decoded);
  REQUIRE_MESSAGE(status.ok(), status.message());
  CHECK(copper::content_equal(decoded, original));
  CHECK(std::signbit(decoded.f64));
  CHECK(decoded.u64 == std::numeric_limits<std::uint64_t>::max());
  CHECK(decoded.i64 == std::numeric_limits<std::int64_t>::min());
  CHECK(decoded.samples[0].label == "s0");
  CHECK(decoded.bits == original.bits);
  CHECK(encoded(decoded) == bytes);

  // Decoding into a message that already holds bigger, different values.
  Everything reused = make_everything();
  reused.ints.assign(100, 7);
  reused.words.assign(10, std::string(50, 'x'));
  reused.samples.resize(5);
  reused.bits.assign(70, true);
  REQUIRE(copper::decode(bytes, reused).ok());
  CHECK(copper::content_equal(reused, original));
}

TEST_CASE("message.encode.empty_values_roundtrip") {
  check_paths_agree(Everything{});
  check_paths_agree(copper_test::Empty{});
  CHECK(encoded(copper_test::Empty{}).empty());
}

TEST_CASE("message.encode.exact_byte_layout") {
  const Tiny tiny{0x1234, true, "hi", {1, -2}, {-1, 5}, 1.0};
  const std::vector<std::uint8_t> expected = {
      0x34, 0x12,                                      // a: u16
      0x01,                                            // b: bool
      0x02, 0x00, 0x00, 0x00, 'h',  'i',               // s: u32 length + bytes
      0x02, 0x00, 0x00, 0x00,                          // v: u32 count
      0x01, 0x00, 0x00, 0x00, 0xFE, 0xFF, 0xFF, 0xFF,  // v: 1, -2
      0xFF, 0x05,                                      // arr: no prefix
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xF0, 0x3F,  // d: 1.0
  };
  CHECK(encoded(tiny) == expected);
  CHECK(copper::encoded_size(tiny) == expected.size());

  // Base members come first.
  copper_test::Derived derived;
  derived.id = 7;
  derived.note = "n";
  CHECK(encoded(derived) == std::vector<std::uint8_t>{7, 0, 0, 0, 1, 0, 0, 0, 'n'});
}

TEST_CASE("message.encode.appends_without_reallocating") {
  const Everything msg = make_everything();
  std::vector<std::uint8_t> buffer = {0xAA, 0xBB};
  copper::encode(msg, buffer);
  REQUIRE(buffer.size() == 2 + copper::encoded_size(msg));
  CHECK(buffer[0] == 0xAA);
  CHECK(buffer[1] == 0xBB);
  CHECK(std::vector<std::uint8_t>(buffer.begin() + 2, buffer.end()) == encoded(msg));

  buffer.clear();
  copper::encode(msg, buffer);
  const std::uint8_t* data = buffer.data();
  const std::size_t capacity = buffer.capacity();
  for (int i = 0; i < 3; ++i) {
    buffer.clear();
    copper::encode(msg, buffer);
  }
  CHECK(buffer.data() == data);
  CHECK(buffer.capacity() == capacity);
}

// Replay checks outputs with matches_encoding instead of encoding them: it
// must accept exactly the bytes encode() writes, and nothing else.
TEST_CASE("message.encode.matches_encoding_accepts_only_the_encoding") {
  auto check = [](const auto& msg) {
    const auto bytes = encoded(msg);
    CHECK(copper::matches_encoding(msg, bytes));
    for (std::size_t length = 0; length < bytes.size(); ++length) {
      CAPTURE(length);
      CHECK_FALSE(copper::matches_encoding(msg, prefix(bytes, length)));
    }
    auto longer = bytes;
    longer.push_back(0);
    CHECK_FALSE(copper::matches_encoding(msg, longer));
    for (std::size_t at = 0; at < bytes.size(); ++at) {
      CAPTURE(at);
      auto flipped = bytes;
      flipped[at] ^= 0x01;
      CHECK_FALSE(copper::matches_encoding(msg, flipped));
    }
  };
  check(make_everything());
  check(Everything{});
  check(Tiny{0x1234, true, "hi", {1, -2}, {-1, 5}, 1.0});
  CHECK(copper::matches_encoding(copper_test::Empty{}, {}));

  // Through the type-erased handle, as the replay calls it.
  const Everything msg = make_everything();
  const copper::MessageType& type = copper::message_type<Everything>();
  CHECK(type.matches_encoding(&msg, encoded(msg)));
  Everything other = msg;
  other.bits.back() = !other.bits.back();
  CHECK_FALSE(type.matches_encoding(&other, encoded(msg)));
}

TEST_CASE("message.hash.content_hash") {
  const Everything a = make_everything();
  const Everything b = make_everything();
  CHECK(copper::content_hash(a) == copper::content_hash(b));
  CHECK(copper::content_hash(a) == copper::content_hash(std::span<const std::uint8_t>(encoded(a))));
  // XXH3_64bits of nothing, seed 0: pins the algorithm, not just consistency.
  CHECK(copper::content_hash(copper_test::Empty{}) == 0x2D06800538D394C2ULL);

  Everything changed = a;
  changed.samples[1].valid = true;
  CHECK(copper::content_hash(changed) != copper::content_hash(a));
  changed = a;
  changed.f64 = 0.0;  // -0.0 in a: equal by ==, different bits
  CHECK(copper::content_hash(changed) != copper::content_hash(a));
  CHECK_FALSE(copper::content_equal(changed, a));
  changed = a;
  changed.jagged[1].push_back(0);
  CHECK(copper::content_hash(changed) != copper::content_hash(a));
}

TEST_CASE("message.schema.shape_exact") {
  const json expected = json::parse(R"({
    "name": "copper_test::Shape",
    "fields": [
      {"name": "x", "type": "f32"},
      {"name": "path", "type": {"vector": {"name": "copper_test::Vec3", "fields": [
        {"name": "x", "type": "f64"}, {"name": "y", "type": "f64"}, {"name": "z", "type": "f64"}]}}},
      {"name": "rgba", "type": {"array": "u8", "size": 4}}
    ]
  })");
  CHECK(copper::schema_of<copper_test::Shape>() == expected);

  const json derived = copper::schema_of<copper_test::Derived>();
  CHECK(derived["fields"][0]["name"] == "id");
  CHECK(derived["fields"][1]["name"] == "note");
}

TEST_CASE("message.schema.every_field_type_names") {
  const json schema = copper::schema_of<Everything>();
  CHECK(copper::validate_schema(schema).ok());
  std::vector<std::string> primitive_types;
  for (const json& field : schema["fields"]) {
    if (field["type"].is_string()) primitive_types.push_back(field["type"]);
  }
  CHECK(primitive_types ==
        std::vector<std::string>{"bool", "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "f32", "f64", "string"});
  CHECK(schema["fields"][20]["type"] == json::parse(R"({"vector": "bool"})"));
  CHECK(schema["fields"][22]["type"] == json::parse(R"({"vector": {"array": "f32", "size": 3}})"));
}

TEST_CASE("message.schema.hash") {
  const json schema = copper::schema_of<Everything>();
  CHECK(copper::schema_hash(schema) == copper::schema_hash(json::parse(schema.dump())));
  CHECK(copper::schema_hash(schema) != copper::schema_hash(copper::schema_of<Tiny>()));
  json renamed = copper::schema_of<Tiny>();
  renamed["fields"][0]["name"] = "z";
  CHECK(copper::schema_hash(renamed) != copper::schema_hash(copper::schema_of<Tiny>()));
}

TEST_CASE("message.json.typed_matches_generic") {
  check_paths_agree(make_everything());
  check_paths_agree(Tiny{0x1234, true, "hi", {1, -2}, {-1, 5}, 1.0});
  check_paths_agree(Vec3{1.25, -0.0, 1e300});
  copper_test::Derived derived;
  derived.id = 99;
  derived.note = "derived";
  check_paths_agree(derived);
  check_paths_agree(copper_test::HasEmpty{{}, -5});
  check_paths_agree(copper_test::Nested{{{1, 2}, {}, {std::numeric_limits<std::uint64_t>::max()}}});
}

TEST_CASE("message.json.values") {
  const json j = copper::to_json(make_everything());
  CHECK(j["u64"].is_number_unsigned());
  CHECK(j["u64"].get<std::uint64_t>() == std::numeric_limits<std::uint64_t>::max());
  CHECK(j["i64"].get<std::int64_t>() == std::numeric_limits<std::int64_t>::min());
  CHECK(j["blob"] == json::array({0, 1, 127, 128, 255}));
  CHECK(j["bits"] == json::array({true, false, true, true}));
  CHECK(j["flag"] == true);
  CHECK(j["samples"][0] == json::parse(R"({"label": "s0", "code": -7, "valid": true})"));
  CHECK(j["origin"]["y"].get<double>() == 0.2);
  CHECK(j.size() == 26);
}

TEST_CASE("message.json.roundtrip_through_text") {
  const Everything original = make_everything();
  const json parsed = json::parse(copper::to_json(original).dump());
  Everything back;
  const copper::Status status = copper::from_json(parsed, back);
  REQUIRE_MESSAGE(status.ok(), status.message());
  CHECK(copper::content_equal(back, original));
}

TEST_CASE("message.json.non_finite_floats_become_null") {
  const Vec3 v{std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
               -std::numeric_limits<double>::infinity()};
  const json j = copper::to_json(v);
  CHECK(j.dump() == R"({"x":null,"y":null,"z":null})");
  const auto generic = copper::decode_to_json(encoded(v), copper::schema_of<Vec3>());
  REQUIRE(generic.ok());
  CHECK(*generic == j);
  Vec3 back;
  REQUIRE(copper::from_json(j, back).ok());
  CHECK(std::isnan(back.x));
  CHECK(std::isnan(back.z));  // Inf does not survive JSON
}

TEST_CASE("message.json.from_json_errors_name_the_path") {
  copper_test::Robot robot;
  robot.samples = {Sample{"a", 1, true}, Sample{"b", 2, false}};
  const json valid = copper::to_json(robot);
  auto error = [](const json& j) {
    copper_test::Robot out;
    return std::string(copper::from_json(j, out).message());
  };
  CHECK(error(valid).empty());

  json j = valid;
  j["pose"]["x"] = "a";
  CHECK(error(j) == "pose.x: expected number");
  j = valid;
  j["samples"][1]["code"] = 40000;
  CHECK(error(j) == "samples[1].code: value 40000 out of range for i16");
  j = valid;
  j["pose"].erase("y");
  CHECK(error(j) == "pose.y: missing field");
  j = valid;
  j["pose"]["w"] = 1.0;
  CHECK(error(j) == "pose: unknown field \"w\"");
  j = valid;
  j["rgb"] = json::array({1, 2});
  CHECK(error(j) == "rgb: expected array of 3 elements, got 2");
  j = valid;
  j["level"] = -1;
  CHECK(error(j) == "level: value -1 out of range for u8");
  j = valid;
  j["level"] = 1.5;
  CHECK(error(j) == "level: expected integer");
  j = valid;
  j["samples"][0]["valid"] = 1;
  CHECK(error(j) == "samples[0].valid: expected boolean");
  j = valid;
  j["samples"] = json::object();
  CHECK(error(j) == "samples: expected array");
  j = valid;
  j["samples"][0]["label"] = 3;
  CHECK(error(j) == "samples[0].label: expected string");
  CHECK(error(json::array()) == "(root): expected object");

  copper_test::Shape shape;
  json k = copper::to_json(shape);
  k["x"] = 1e300;
  CHECK(copper::from_json(k, shape).message() == "x: value 1e+300 out of range for f32");
}

TEST_CASE("message.decode.every_truncation_fails") {
  auto check_truncations = [](const auto& msg) {
    using T = std::decay_t<decltype(msg)>;
    const auto bytes = encoded(msg);
    const json schema = copper::schema_of<T>();
    const std::string expected_prefix = "decode " + copper::type_name<T>() + ": ";
    for (std::size_t length = 0; length < bytes.size(); ++length) {
      CAPTURE(length);
      T out{};
      const copper::Status typed = copper::decode(prefix(bytes, length), out);
      REQUIRE_FALSE(typed.ok());
      CHECK(typed.message().substr(0, expected_prefix.size()) == expected_prefix);
      const auto generic = copper::decode_to_json(prefix(bytes, length), schema);
      REQUIRE_FALSE(generic.ok());
      CHECK(generic.error_message() == typed.message());
    }
  };
  check_truncations(make_everything());
  check_truncations(Tiny{0x1234, true, "hi", {1, -2}, {-1, 5}, 1.0});
}

TEST_CASE("message.decode.error_messages") {
  const auto bytes = encoded(Tiny{0x1234, true, "hi", {1, -2}, {-1, 5}, 1.0});
  auto error = [](std::span<const std::uint8_t> b) {
    Tiny out;
    return std::string(copper::decode(b, out).message());
  };
  const std::string tiny = "decode copper_test::Tiny: ";
  CHECK(error(prefix(bytes, 3)) == tiny + "truncated at byte 3 in s: need 4 bytes for string length, 0 remain");
  CHECK(error(prefix(bytes, 19)) == tiny + "vector count 2 at byte 9 in v needs at least 8 bytes, 6 remain");
  CHECK(error(prefix(bytes, 22)) == tiny + "truncated at byte 22 in arr[1]: need 1 bytes for i8, 0 remain");
  CHECK(error(prefix(bytes, 27)) == tiny + "truncated at byte 23 in d: need 8 bytes for f64, 4 remain");
}

TEST_CASE("message.decode.trailing_bytes") {
  auto bytes = encoded(Tiny{});
  bytes.push_back(0);
  Tiny out;
  const copper::Status typed = copper::decode(bytes, out);
  CHECK(typed.message() == "decode copper_test::Tiny: 1 trailing bytes at byte 21");
  const auto generic = copper::decode_to_json(bytes, copper::schema_of<Tiny>());
  CHECK(generic.error_message() == typed.message());
}

TEST_CASE("message.decode.absurd_counts_rejected_before_allocating") {
  // If the count were trusted, resize() would ask for ~96 GiB and throw.
  const std::vector<std::uint8_t> bytes = {0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3};
  copper_test::Nested nested;
  const copper::Status typed = copper::decode(bytes, nested);
  CHECK(typed.message() == "decode copper_test::Nested: vector count 4294967295 at byte 0 in vv needs at least "
                           "17179869180 bytes, 3 remain");
  CHECK(nested.vv.capacity() == 0);
  CHECK(copper::decode_to_json(bytes, copper::schema_of<copper_test::Nested>()).error_message() == typed.message());

  const std::vector<std::uint8_t> string_bytes = {0xFF, 0xFF, 0xFF, 0xFF};
  copper_test::Text text;
  CHECK(copper::decode(string_bytes, text).message() ==
        "decode copper_test::Text: string length 4294967295 at byte 0 in s needs at least 4294967295 bytes, 0 remain");
}

TEST_CASE("message.decode.bad_bool") {
  auto bytes = encoded(copper_test::SampleList{{Sample{"ab", 1, true}, Sample{"", 2, false}}});
  // count(4) | "ab": 4+2, code 2, valid 1 | "": 4, code 2, valid at 19
  REQUIRE(bytes.size() == 20);
  bytes[19] = 2;
  copper_test::SampleList out;
  const copper::Status typed = copper::decode(bytes, out);
  CHECK(typed.message() ==
        "decode copper_test::SampleList: invalid bool byte 0x02 at byte 19 in samples[1].valid (expected 0 or 1)");
  const auto generic = copper::decode_to_json(bytes, copper::schema_of<copper_test::SampleList>());
  CHECK(generic.error_message() == typed.message());

  // Every true bool in Everything, including those in std::vector<bool> and
  // std::array<bool, N>, is checked; find them by corrupting each 0x01 byte.
  const auto clean = encoded(make_everything());
  std::vector<std::string> bad_bool_paths;
  for (std::size_t i = 0; i < clean.size(); ++i) {
    if (clean[i] != 1) continue;
    auto corrupt = clean;
    corrupt[i] = 0x80;
    Everything e_out;
    const copper::Status s = copper::decode(corrupt, e_out);
    // Other 0x01 bytes are parts of numbers or counts: those may decode fine.
    if (s.ok()) continue;
    CHECK(copper::decode_to_json(corrupt, copper::schema_of<Everything>()).error_message() == s.message());
    const std::string_view message = s.message();
    const auto in = message.find(" in ");
    if (message.find("invalid bool byte 0x80") != std::string_view::npos && in != std::string_view::npos) {
      bad_bool_paths.emplace_back(message.substr(in + 4, message.find(' ', in + 4) - (in + 4)));
    }
  }
  CHECK(bad_bool_paths == std::vector<std::string>{"flag", "samples[0].valid", "bits[0]", "bits[2]", "bits[3]",
                                                   "mask[1]"});
}

TEST_CASE("message.schema.bad_schemas_rejected") {
  // {schema, error}; "T" stands for a one-field struct {"name": "X", "fields": [{"name": "a", "type": T}]}.
  const std::pair<std::string, std::string> cases[] = {
      {R"([])", "/: schema must be a struct object {\"name\", \"fields\"}"},
      {R"({"name": "X"})", "/: struct needs a \"fields\" array"},
      {R"({"fields": []})", "/: struct needs a non-empty string \"name\""},
      {R"({"name": "X", "fields": [], "version": 2})", "/: unexpected key \"version\""},
      {R"({"name": "X", "fields": [{"name": "a"}]})", "/fields/0: field needs a \"type\""},
      {R"({"name": "X", "fields": [{"type": "u8"}]})", "/fields/0: field needs a non-empty string \"name\""},
      {R"({"name": "X", "fields": ["u8"]})", "/fields/0: field must be an object {\"name\", \"type\"}"},
      {R"({"name": "X", "fields": [{"name": "a", "type": "u8"}, {"name": "a", "type": "u8"}]})",
       "/fields/1: duplicate field name \"a\""},
      {R"("f128")", "/fields/0/type: unknown type \"f128\""},
      {R"(5)", "/fields/0/type: type must be a string or an object, not number"},
      {R"({"list": "u8"})",
       "/fields/0/type: type object needs \"vector\", \"array\" and \"size\", or \"name\" and \"fields\""},
      {R"({"vector": "u8", "size": 3})", "/fields/0/type: unexpected key \"size\""},
      {R"({"vector": {"vector": "i7"}})", "/fields/0/type/vector/vector: unknown type \"i7\""},
      {R"({"array": "u8"})", "/fields/0/type: array needs a \"size\" integer in [0, 4294967295]"},
      {R"({"array": "u8", "size": -1})", "/fields/0/type: array needs a \"size\" integer in [0, 4294967295]"},
      {R"({"array": "u8", "size": 1.5})", "/fields/0/type: array needs a \"size\" integer in [0, 4294967295]"},
      {R"({"array": "u8", "size": "3"})", "/fields/0/type: array needs a \"size\" integer in [0, 4294967295]"},
      {R"({"array": "u8", "size": 4294967296})",
       "/fields/0/type: array needs a \"size\" integer in [0, 4294967295]"},
      {R"({"vector": {"name": "E", "fields": []}})",
       "/fields/0/type/vector: element type encodes to zero bytes (empty struct or zero-length array)"},
      {R"({"array": {"array": "u8", "size": 0}, "size": 9})",
       "/fields/0/type/array: element type encodes to zero bytes (empty struct or zero-length array)"},
      {R"({"name": "", "fields": []})", "/fields/0/type: struct needs a non-empty string \"name\""},
  };
  const std::vector<std::uint8_t> no_bytes;
  for (const auto& [text, error] : cases) {
    CAPTURE(text);
    json schema = json::parse(text);
    if (error.starts_with("/fields/0/type")) {
      const json field = json::object({{"name", "a"}, {"type", schema}});
      schema = json::object({{"name", "X"}, {"fields", json::array({field})}});
    }
    CHECK(copper::validate_schema(schema).message() == "invalid schema at " + error);
    CHECK(copper::decode_to_json(no_bytes, schema).error_message() == "invalid schema at " + error);
  }
}

TEST_CASE("message.schema.depth_limit") {
  // A struct (level 1) whose field is `vectors` nested vectors of u8.
  auto schema_with_vectors = [](int vectors) {
    json type = "u8";
    for (int i = 0; i < vectors; ++i) type = json::object({{"vector", type}});
    return json::object({{"name", "Deep"}, {"fields", json::array({json::object({{"name", "a"}, {"type", type}})})}});
  };
  CHECK(copper::validate_schema(schema_with_vectors(62)).ok());  // u8 at level 64
  const copper::Status too_deep = copper::validate_schema(schema_with_vectors(63));
  CHECK(too_deep.message().find("nested deeper than 64 levels") != std::string_view::npos);
  CHECK_FALSE(copper::validate_schema(schema_with_vectors(500)).ok());

  // A valid deep schema decodes: 62 nested counts of 1, then one byte.
  std::vector<std::uint8_t> bytes;
  for (int i = 0; i < 62; ++i) bytes.insert(bytes.end(), {1, 0, 0, 0});
  bytes.push_back(7);
  const auto decoded = copper::decode_to_json(bytes, schema_with_vectors(62));
  REQUIRE_MESSAGE(decoded.ok(), decoded.error_message());
  const json* inner = &(*decoded)["a"];
  for (int i = 0; i < 62; ++i) inner = &(*inner)[0];
  CHECK(*inner == 7);
}

TEST_CASE("message.reset.keeps_capacity_and_zeroes") {
  Everything e = make_everything();
  const std::size_t ints_capacity = e.ints.capacity();
  const std::int32_t* ints_data = e.ints.data();
  const std::size_t samples_capacity = e.samples.capacity();
  const std::size_t text_capacity = e.text.capacity();
  copper::reset(e);
  CHECK(copper::content_equal(e, Everything{}));
  CHECK(e.ints.empty());
  CHECK(e.ints.capacity() == ints_capacity);
  CHECK(e.ints.data() == ints_data);
  CHECK(e.samples.capacity() == samples_capacity);
  CHECK(e.text.capacity() == text_capacity);
  CHECK(e.pair[0].empty());
  CHECK(e.corners[1].z == 0.0);
  CHECK_FALSE(std::signbit(e.f64));
  CHECK(e.mask == std::array<bool, 3>{});
}

TEST_CASE("message.type_erased.operations") {
  const copper::MessageType& type = copper::message_type<Everything>();
  CHECK(&type == &copper::message_type<Everything>());
  CHECK(&type != &copper::message_type<Tiny>());
  CHECK(type.name == "copper_test::Everything");
  CHECK(type.schema == copper::schema_of<Everything>());
  CHECK(type.schema_hash == copper::schema_hash(type.schema));

  const Everything source = make_everything();
  void* a = type.create();
  void* b = type.create();
  CHECK(copper::content_equal(*static_cast<const Everything*>(a), Everything{}));
  CHECK_FALSE(type.equal(a, &source));

  type.copy(&source, a);
  CHECK(type.equal(a, &source));
  CHECK(type.to_json(a) == copper::to_json(source));
  CHECK(type.encoded_size(a) == copper::encoded_size(source));

  std::vector<std::uint8_t> bytes;
  type.encode(a, bytes);
  CHECK(bytes == encoded(source));
  REQUIRE(type.decode(bytes, b).ok());
  CHECK(type.equal(a, b));
  CHECK_FALSE(type.decode(prefix(bytes, bytes.size() - 1), b).ok());

  type.reset(a);
  CHECK(copper::content_equal(*static_cast<const Everything*>(a), Everything{}));
  REQUIRE(type.from_json(copper::to_json(source), a).ok());
  CHECK(type.equal(a, &source));

  type.destroy(a);
  type.destroy(b);
}

TEST_SUITE_END();

}  // namespace
