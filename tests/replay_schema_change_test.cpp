// Replaying across a changed message type (replay/schema_change.hpp): the
// difference between two schemas, and the fields both share.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "replay/schema_change.hpp"

using nlohmann::json;

namespace {

const json kRecorded = json::parse(R"({"name": "bot::Battery", "fields": [
    {"name": "voltage", "type": "f64"},
    {"name": "current", "type": "i32"},
    {"name": "cells", "type": {"vector": "f32"}},
    {"name": "pack", "type": {"name": "bot::Pack", "fields": [{"name": "id", "type": "u16"}, {"name": "age", "type": "u32"}]}}]})");
const json kCurrent = json::parse(R"({"name": "bot::Battery", "fields": [
    {"name": "voltage", "type": "f64"},
    {"name": "current", "type": "f64"},
    {"name": "cells", "type": {"vector": "f32"}},
    {"name": "pack", "type": {"name": "bot::Pack", "fields": [{"name": "id", "type": "u16"}, {"name": "serial", "type": "string"}]}},
    {"name": "temperature", "type": "f32"}]})");

}  // namespace

TEST_CASE("replay.schema_change.difference_names_fields_added_removed_and_retyped") {
  const auto difference = copper::replay::diff_schemas(kRecorded, kCurrent);
  CHECK(difference.added == std::vector<std::string>{"pack.serial (string)", "temperature (f32)"});
  CHECK(difference.removed == std::vector<std::string>{"pack.age (u32)"});
  CHECK(difference.retyped == std::vector<std::string>{"current (i32 -> f64)"});
  CHECK(difference.shared == 3);  // voltage, cells, pack.id
  CHECK(difference.describe() ==
        "field pack.serial added (string); field temperature added (f32); field pack.age removed (u32); field current "
        "retyped (i32 -> f64)");
}

TEST_CASE("replay.schema_change.shared_fields_keep_only_what_both_have") {
  const json recorded_value = {{"voltage", 12.5}, {"current", 3}, {"cells", {4.1, 4.2}}, {"pack", {{"id", 7}, {"age", 9}}}};
  const json current_value = {{"voltage", 12.5},         {"current", 3.0}, {"cells", {4.1, 4.2}},
                              {"pack", {{"id", 7}, {"serial", "x"}}}, {"temperature", 30.0}};
  const json expected = {{"voltage", 12.5}, {"cells", {4.1, 4.2}}, {"pack", {{"id", 7}}}};
  CHECK(copper::replay::shared_fields(recorded_value, kRecorded, kCurrent) == expected);
  CHECK(copper::replay::shared_fields(current_value, kRecorded, kCurrent) == expected);
}
