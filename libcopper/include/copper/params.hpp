// Typed task parameters read from the graph config.
//
// A task reads its parameters in its constructor, before anything runs, so a
// missing or mistyped parameter stops the program at load time with the JSON
// path of the culprit. Keys the task never read are reported as unknown: a
// typo in a parameter name must not silently fall back to a default.
#pragma once

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "copper/export.hpp"

namespace copper {

// Thrown by Params::get; the graph builder turns it into a config error.
class COPPER_API ParamError : public std::runtime_error {
 public:
  ParamError(std::string path, const std::string& problem)
      : std::runtime_error(path + ": " + problem), path_(std::move(path)) {}
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class COPPER_API Params {
 public:
  // `path` names the params object in the config, e.g. "tasks[2].params".
  Params(nlohmann::json values, std::string path);
  // A task built outside any config (tests, benchmarks).
  Params() : Params(nlohmann::json::object(), "params") {}

  // A required parameter.
  template <class T>
  T get(std::string_view name) {
    const nlohmann::json* value = lookup(name);
    if (value == nullptr) throw ParamError(path_of(name), "missing required parameter");
    return convert<T>(*value, path_of(name));
  }

  template <class T>
  T get_or(std::string_view name, T fallback) {
    const nlohmann::json* value = lookup(name);
    return value == nullptr ? fallback : convert<T>(*value, path_of(name));
  }

  // For stand-in tasks that take another task's place and its config (a
  // replayed source): every key counts as read.
  void ignore_all();

  // Keys present in the config that no get/get_or asked for.
  std::vector<std::string> unread_keys() const;
  const std::string& path() const { return path_; }

 private:
  const nlohmann::json* lookup(std::string_view name);
  std::string path_of(std::string_view name) const { return path_ + "." + std::string(name); }

  template <class T>
  static T convert(const nlohmann::json& value, const std::string& where);

  nlohmann::json values_;
  std::string path_;
  std::set<std::string, std::less<>> read_;
};

namespace detail {
template <class T>
struct is_param_vector : std::false_type {};
template <class T>
struct is_param_vector<std::vector<T>> : std::true_type {};

COPPER_API std::string json_kind(const nlohmann::json& value);
}  // namespace detail

template <class T>
T Params::convert(const nlohmann::json& value, const std::string& where) {
  auto mismatch = [&](const char* expected) {
    return ParamError(where, std::string("expected ") + expected + ", got " + detail::json_kind(value));
  };
  if constexpr (std::is_same_v<T, bool>) {
    if (!value.is_boolean()) throw mismatch("a boolean");
    return value.get<bool>();
  } else if constexpr (std::is_integral_v<T>) {
    if (!value.is_number_integer()) throw mismatch("an integer");
    if (value.is_number_unsigned()) {
      const auto v = value.get<uint64_t>();
      if (v > static_cast<uint64_t>(std::numeric_limits<T>::max()))
        throw ParamError(where, "value " + std::to_string(v) + " is out of range");
      return static_cast<T>(v);
    }
    const auto v = value.get<int64_t>();
    if (v < static_cast<int64_t>(std::numeric_limits<T>::min()) ||
        (v > 0 && static_cast<uint64_t>(v) > static_cast<uint64_t>(std::numeric_limits<T>::max())))
      throw ParamError(where, "value " + std::to_string(v) + " is out of range");
    return static_cast<T>(v);
  } else if constexpr (std::is_floating_point_v<T>) {
    if (!value.is_number()) throw mismatch("a number");
    return value.get<T>();
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (!value.is_string()) throw mismatch("a string");
    return value.get<std::string>();
  } else if constexpr (detail::is_param_vector<T>::value) {
    if (!value.is_array()) throw mismatch("an array");
    T out;
    out.reserve(value.size());
    for (size_t i = 0; i < value.size(); ++i)
      out.push_back(convert<typename T::value_type>(value[i], where + "[" + std::to_string(i) + "]"));
    return out;
  } else {
    static_assert(sizeof(T) == 0, "parameter type must be bool, integer, floating point, string or vector");
  }
}

}  // namespace copper
