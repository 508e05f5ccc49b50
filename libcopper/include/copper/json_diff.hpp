// The first place where two JSON values differ, with a field path a human
// can read. Shared by replay (recorded vs replayed outputs) and copper-log
// diff (one log against another): both decode messages through the same
// schema and then ask where they part.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "copper/export.hpp"

namespace copper {

// A field path ("a.b[3].c", empty for the values themselves) and the two
// values there. A key present on one side only has null on the other.
struct JsonDifference {
  std::string path;
  nlohmann::json left;
  nlohmann::json right;
};

// Every difference, in the order below: the first `limit` of them, and how
// many there are in all.
struct JsonDifferences {
  std::vector<JsonDifference> first;
  size_t total = 0;
};

// Objects are compared key by key (in nlohmann's key order), arrays element
// by element, then by length; numbers of different storage (1 and 1u)
// compare by value. nullopt when equal.
COPPER_API std::optional<JsonDifference> first_json_difference(const nlohmann::json& left, const nlohmann::json& right);

// All the places where they differ, walked in the same order; an array of
// another length counts once, at the first index only one side has.
COPPER_API JsonDifferences json_differences(const nlohmann::json& left, const nlohmann::json& right, size_t limit);

}  // namespace copper
