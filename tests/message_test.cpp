// Messages: schemas, JSON, reset and the type-erased handle (the binary
// encoding is message_codec_test.cpp).
//
// The central claim is that the typed path (C++ type) and the generic path
// (bytes + schema) agree: same JSON for the same bytes, same rejections with
// the same messages for bad bytes.

#include "copper/message.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "fixtures/message_types.hpp"

namespace {

using namespace copper_test;  // the shared message types and helpers
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

// A suite as well as dotted names, so both -ts='*message*' and -tc='message.*' select these.
TEST_SUITE_BEGIN("message");

TEST_CASE("message.type_name") {
  CHECK(copper::type_name<Everything>() == "copper_test::Everything");
  CHECK(copper::type_name<Vec3>() == "copper_test::Vec3");
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
