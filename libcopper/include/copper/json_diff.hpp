// The first place where two JSON values differ, with a field path a human
// can read. Shared by replay (recorded vs replayed outputs) and copper-log
// diff (one log against another): both decode messages through the same
// schema and then ask where they part.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace copper {

// A field path ("a.b[3].c", empty for the values themselves) and the two
// values there. A key present on one side only has null on the other.
struct JsonDifference {
  std::string path;
  nlohmann::json left;
  nlohmann::json right;
};

// Objects are compared key by key (in nlohmann's key order), arrays element
// by element, then by length; numbers of different storage (1 and 1u)
// compare by value. nullopt when equal.
std::optional<JsonDifference> first_json_difference(const nlohmann::json& left, const nlohmann::json& right);

}  // namespace copper
