// Machinery of message_json.hpp: the compile-time walks that turn a described
// struct into JSON and back. Not API: it is installed only because the public templates instantiate
// it, and it may change in any release.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "copper/export.hpp"
#include "copper/message_traits.hpp"
#include "copper/status.hpp"

namespace copper {
namespace detail {

template <class T>
nlohmann::json value_to_json(const T& value);

template <class T, class... D>
nlohmann::json fields_to_json(const T& value, boost::mp11::mp_list<D...>) {
  nlohmann::json object = nlohmann::json::object();
  (object.emplace(D::name, detail::value_to_json(value.*D::pointer)), ...);
  return object;
}

// The generic decoder (message.cpp) builds primitives with these too, so both
// paths produce identical JSON, down to signed vs unsigned storage.
inline nlohmann::json signed_to_json(std::int64_t value) { return nlohmann::json(value); }
inline nlohmann::json unsigned_to_json(std::uint64_t value) { return nlohmann::json(value); }
inline nlohmann::json float_to_json(double value) {
  return std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(nullptr);
}

template <class T>
nlohmann::json value_to_json(const T& value) {
  if constexpr (Bool<T>) {
    return nlohmann::json(value);
  } else if constexpr (Float<T>) {
    return detail::float_to_json(static_cast<double>(value));
  } else if constexpr (Integer<T> && std::is_signed_v<T>) {
    return detail::signed_to_json(static_cast<std::int64_t>(value));
  } else if constexpr (Integer<T>) {
    return detail::unsigned_to_json(static_cast<std::uint64_t>(value));
  } else if constexpr (String<T>) {
    return nlohmann::json(value);
  } else if constexpr (Vector<T> || Array<T>) {
    nlohmann::json array = nlohmann::json::array();
    array.get_ref<nlohmann::json::array_t&>().reserve(value.size());
    if constexpr (Bool<typename T::value_type>) {
      for (bool element : value) array.push_back(element);
    } else {
      for (const auto& element : value) array.push_back(detail::value_to_json(element));
    }
    return array;
  } else {
    return detail::fields_to_json(value, fields_of<T>{});
  }
}

// Where from_json failed; formatted only on failure.
struct JsonFailure {
  std::string what;
  std::vector<PathStep> path;
};

COPPER_API Status json_status(const JsonFailure& failure);

template <class T>
bool value_from_json(const nlohmann::json& j, T& value, JsonFailure& failure);

template <Integer T>
bool integer_from_json(const nlohmann::json& j, T& value, JsonFailure& failure) {
  bool in_range = false;
  if (j.is_number_unsigned()) {
    const auto v = j.get<std::uint64_t>();
    in_range = std::in_range<T>(v);
    if (in_range) value = static_cast<T>(v);
  } else if (j.is_number_integer()) {
    const auto v = j.get<std::int64_t>();
    in_range = std::in_range<T>(v);
    if (in_range) value = static_cast<T>(v);
  } else {
    failure.what = "expected integer";
    return false;
  }
  if (!in_range) failure.what = "value " + j.dump() + " out of range for " + detail::primitive_name<T>();
  return in_range;
}

template <Float T>
bool float_from_json(const nlohmann::json& j, T& value, JsonFailure& failure) {
  if (j.is_null()) {
    value = std::numeric_limits<T>::quiet_NaN();
    return true;
  }
  if (!j.is_number()) {
    failure.what = "expected number";
    return false;
  }
  const auto v = j.get<double>();
  // Narrowing an out-of-range double to float is undefined behaviour.
  if (std::isfinite(v) && std::fabs(v) > static_cast<double>(std::numeric_limits<T>::max())) {
    failure.what = "value " + j.dump() + " out of range for " + detail::primitive_name<T>();
    return false;
  }
  value = static_cast<T>(v);
  return true;
}

template <class T>
bool elements_from_json(const nlohmann::json& j, T& elements, JsonFailure& failure) {
  for (std::size_t i = 0; i < elements.size(); ++i) {
    bool ok;
    if constexpr (Bool<typename T::value_type>) {
      // std::vector<bool> hands out proxies, not bool&.
      bool element = false;
      ok = detail::value_from_json(j[i], element, failure);
      if (ok) elements[i] = element;
    } else {
      ok = detail::value_from_json(j[i], elements[i], failure);
    }
    if (!ok) {
      failure.path.push_back({nullptr, i});
      return false;
    }
  }
  return true;
}

template <class D, class T>
bool field_from_json(const nlohmann::json& j, T& value, JsonFailure& failure) {
  const auto it = j.find(D::name);
  if (it == j.end()) {
    failure.what = "missing field";
  } else if (detail::value_from_json(*it, value.*D::pointer, failure)) {
    return true;
  }
  failure.path.push_back({D::name, 0});
  return false;
}

template <class... D>
bool is_field_name(const std::string& key, boost::mp11::mp_list<D...>) {
  return ((key == D::name) || ...);
}

template <class T, class... D>
bool fields_from_json(const nlohmann::json& j, T& value, JsonFailure& failure, boost::mp11::mp_list<D...> fields) {
  if (!j.is_object()) {
    failure.what = "expected object";
    return false;
  }
  if (!(detail::field_from_json<D>(j, value, failure) && ...)) return false;
  // Every field is present, so a larger object has a key we do not know.
  if (j.size() == sizeof...(D)) return true;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!detail::is_field_name(it.key(), fields)) {
      failure.what = "unknown field \"" + it.key() + "\"";
      break;
    }
  }
  return false;
}

template <class T>
bool value_from_json(const nlohmann::json& j, T& value, JsonFailure& failure) {
  if constexpr (Bool<T>) {
    if (!j.is_boolean()) {
      failure.what = "expected boolean";
      return false;
    }
    value = j.get<bool>();
    return true;
  } else if constexpr (Integer<T>) {
    return detail::integer_from_json(j, value, failure);
  } else if constexpr (Float<T>) {
    return detail::float_from_json(j, value, failure);
  } else if constexpr (String<T>) {
    if (!j.is_string()) {
      failure.what = "expected string";
      return false;
    }
    value = j.get_ref<const std::string&>();
    return true;
  } else if constexpr (Vector<T> || Array<T>) {
    if (!j.is_array()) {
      failure.what = "expected array";
      return false;
    }
    if constexpr (Vector<T>) {
      value.resize(j.size());
    } else if (j.size() != value.size()) {
      failure.what = "expected array of " + std::to_string(value.size()) + " elements, got " + std::to_string(j.size());
      return false;
    }
    return detail::elements_from_json(j, value, failure);
  } else {
    return detail::fields_from_json(j, value, failure, fields_of<T>{});
  }
}

}  // namespace detail
}  // namespace copper
