// JSON Schemas: generated from a copper message schema, and written here
// for the Foxglove well-known schemas copper maps onto (field names and
// types as Foxglove publishes them, docs.foxglove.dev message schemas).
//
// Only keywords that draft-07 and draft 2020-12 read alike are used (type,
// properties, required, items, minItems/maxItems, minimum/maximum,
// additionalProperties, oneOf/const; contentEncoding as an annotation), and
// no "$schema": a validator of either draft takes them as they are.
#include <cmath>
#include <limits>
#include <map>

#include "mapping.hpp"

namespace copper::foxglove {

namespace {

using nlohmann::json;

json integer_range(int64_t minimum, uint64_t maximum) {
  return {{"type", "integer"}, {"minimum", minimum}, {"maximum", maximum}};
}

// 64-bit integers stay plain "integer": a bound of 2^64-1 would not survive
// a JavaScript reader's doubles, and the values themselves are exact in the
// JSON text.
json primitive_schema(const std::string& name) {
  static const std::map<std::string, json> kPrimitives = {
      {"bool", {{"type", "boolean"}}},
      {"i8", integer_range(std::numeric_limits<int8_t>::min(), std::numeric_limits<int8_t>::max())},
      {"i16", integer_range(std::numeric_limits<int16_t>::min(), std::numeric_limits<int16_t>::max())},
      {"i32", integer_range(std::numeric_limits<int32_t>::min(), std::numeric_limits<int32_t>::max())},
      {"i64", {{"type", "integer"}}},
      {"u8", integer_range(0, std::numeric_limits<uint8_t>::max())},
      {"u16", integer_range(0, std::numeric_limits<uint16_t>::max())},
      {"u32", integer_range(0, std::numeric_limits<uint32_t>::max())},
      {"u64", {{"type", "integer"}}},
      // NaN and infinities render as null (message_json.hpp).
      {"f32", {{"type", json::array({"number", "null"})}}},
      {"f64", {{"type", json::array({"number", "null"})}}},
      {"string", {{"type", "string"}}},
  };
  return kPrimitives.at(name);
}

json type_schema(const json& type);

json struct_schema(const json& schema) {
  json properties = json::object();
  json required = json::array();
  for (const json& field : schema.at("fields")) {
    const std::string& name = field.at("name").get_ref<const std::string&>();
    properties[name] = type_schema(field.at("type"));
    required.push_back(name);
  }
  return {{"title", schema.at("name")},
          {"type", "object"},
          {"properties", std::move(properties)},
          {"required", std::move(required)},
          {"additionalProperties", false}};
}

// A run of bytes (vector or array of u8) is one base64 string: how
// MessageDecoder renders it with BytesAs::base64.
json byte_run_schema(const json* size) {
  json schema = {{"type", "string"}, {"contentEncoding", "base64"}};
  if (size != nullptr) {
    const uint64_t length = (size->get<uint64_t>() + 2) / 3 * 4;
    schema["minLength"] = length;
    schema["maxLength"] = length;
  }
  return schema;
}

json type_schema(const json& type) {
  if (type.is_string()) return primitive_schema(type.get<std::string>());
  if (type.contains("fields")) return struct_schema(type);
  const bool is_array = type.contains("array");
  const json& element = is_array ? type.at("array") : type.at("vector");
  const json* size = is_array ? &type.at("size") : nullptr;
  if (element == "u8") return byte_run_schema(size);
  json schema = {{"type", "array"}, {"items", type_schema(element)}};
  if (size != nullptr) {
    schema["minItems"] = *size;
    schema["maxItems"] = *size;
  }
  return schema;
}

// ---- the well-known schemas ----------------------------------------------

json object_of(json properties, const std::string& title) {
  json required = json::array();
  for (const auto& [name, _] : properties.items()) required.push_back(name);
  return {
      {"title", title}, {"type", "object"}, {"properties", std::move(properties)}, {"required", std::move(required)}};
}

json number() { return {{"type", "number"}}; }
json text() { return {{"type", "string"}}; }
json count() { return {{"type", "integer"}, {"minimum", 0}, {"maximum", std::numeric_limits<uint32_t>::max()}}; }
json base64_bytes() { return {{"type", "string"}, {"contentEncoding", "base64"}}; }

json time_schema() {
  return object_of({{"sec", {{"type", "integer"}, {"minimum", 0}, {"maximum", std::numeric_limits<uint32_t>::max()}}},
                    {"nsec", {{"type", "integer"}, {"minimum", 0}, {"maximum", 999'999'999}}}},
                   "time");
}

json vector3() { return object_of({{"x", number()}, {"y", number()}, {"z", number()}}, "foxglove.Vector3"); }
json quaternion() {
  return object_of({{"x", number()}, {"y", number()}, {"z", number()}, {"w", number()}}, "foxglove.Quaternion");
}
json pose() { return object_of({{"position", vector3()}, {"orientation", quaternion()}}, "foxglove.Pose"); }

json raw_image() {
  return object_of({{"timestamp", time_schema()},
                    {"frame_id", text()},
                    {"width", count()},
                    {"height", count()},
                    {"encoding", text()},
                    {"step", count()},
                    {"data", base64_bytes()}},
                   "foxglove.RawImage");
}

json compressed_image() {
  return object_of({{"timestamp", time_schema()}, {"frame_id", text()}, {"data", base64_bytes()}, {"format", text()}},
                   "foxglove.CompressedImage");
}

json laser_scan() {
  const json numbers = {{"type", "array"}, {"items", number()}};
  return object_of({{"timestamp", time_schema()},
                    {"frame_id", text()},
                    {"pose", pose()},
                    {"start_angle", number()},
                    {"end_angle", number()},
                    {"ranges", numbers},
                    {"intensities", numbers}},
                   "foxglove.LaserScan");
}

json pose_in_frame() {
  return object_of({{"timestamp", time_schema()}, {"frame_id", text()}, {"pose", pose()}}, "foxglove.PoseInFrame");
}

json frame_transform() {
  return object_of({{"timestamp", time_schema()},
                    {"parent_frame_id", text()},
                    {"child_frame_id", text()},
                    {"translation", vector3()},
                    {"rotation", quaternion()}},
                   "foxglove.FrameTransform");
}

json log() {
  json levels = json::array();
  for (const char* name : {"UNKNOWN", "DEBUG", "INFO", "WARNING", "ERROR", "FATAL"})
    levels.push_back({{"title", name}, {"const", levels.size()}});
  return object_of({{"timestamp", time_schema()},
                    {"level", {{"title", "foxglove.LogLevel"}, {"oneOf", std::move(levels)}}},
                    {"message", text()},
                    {"name", text()},
                    {"file", text()},
                    {"line", count()}},
                   "foxglove.Log");
}

}  // namespace

json json_schema_of(const json& message_schema) { return struct_schema(message_schema); }

const json* well_known_json_schema(std::string_view schema_name) {
  static const std::map<std::string, json, std::less<>> kSchemas = {
      {"foxglove.RawImage", raw_image()},
      {"foxglove.CompressedImage", compressed_image()},
      {"foxglove.LaserScan", laser_scan()},
      {"foxglove.PoseInFrame", pose_in_frame()},
      {"foxglove.FrameTransform", frame_transform()},
      {"foxglove.Log", log()},
  };
  auto it = kSchemas.find(schema_name);
  return it == kSchemas.end() ? nullptr : &it->second;
}

json timestamp(int64_t time_ns) {
  constexpr int64_t kNsPerSec = 1'000'000'000;
  int64_t sec = time_ns / kNsPerSec;
  int64_t nsec = time_ns % kNsPerSec;
  if (nsec < 0) {
    nsec += kNsPerSec;
    sec -= 1;
  }
  return {{"sec", sec}, {"nsec", nsec}};
}

uint8_t log_level(log::TextLevel level) {
  switch (level) {
    case log::TextLevel::trace:
    case log::TextLevel::debug: return 1;
    case log::TextLevel::info: return 2;
    case log::TextLevel::warn: return 3;
    case log::TextLevel::error: return 4;
  }
  return 2;
}

json log_message(const LogLine& line) {
  return {{"timestamp", timestamp(line.time_ns)},
          {"level", line.level <= 5 ? line.level : 0},  // beyond FATAL: UNKNOWN
          {"name", line.name},
          {"message", line.message},
          {"file", line.file},
          {"line", line.line}};
}

}  // namespace copper::foxglove
