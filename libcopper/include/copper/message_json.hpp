// Typed JSON conversion of messages, for configs, tests and humans.
//
// to_json gives an object keyed by field name:
//   bool -> true/false; integers -> exact JSON integers (u64 included);
//   float/double -> numbers, except NaN and +-Inf, which become null (JSON
//   has no spelling for them); std::string -> string (its bytes as they are:
//   dump() needs them to be UTF-8); vectors and arrays -> arrays, including
//   std::vector<uint8_t>; structs -> objects.
//
// from_json is the strict inverse: every field must be present, no unknown
// keys, integers must be JSON integers within the field's range, arrays must
// have their exact length, and null reads back as a quiet NaN. Errors name
// the path: "pose.x: expected number", "points[3]: expected array of 3
// elements, got 2", "(root): expected object".
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "copper/message_traits.hpp"
#include "copper/status.hpp"
#include "copper/detail/message_json.hpp"

namespace copper {

template <Message T>
nlohmann::json to_json(const T& msg) {
  return detail::value_to_json(msg);
}

// On error `out` is valid but holds an unspecified mix of old and new values.
template <Message T>
Status from_json(const nlohmann::json& j, T& out) {
  detail::JsonFailure failure;
  if (detail::value_from_json(j, out, failure)) return Status();
  return detail::json_status(failure);
}

}  // namespace copper
