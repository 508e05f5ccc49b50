#include "copper/params.hpp"

namespace copper {

namespace detail {
std::string json_kind(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::null: return "null";
    case nlohmann::json::value_t::boolean: return "a boolean";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned: return "an integer";
    case nlohmann::json::value_t::number_float: return "a number";
    case nlohmann::json::value_t::string: return "a string";
    case nlohmann::json::value_t::array: return "an array";
    case nlohmann::json::value_t::object: return "an object";
    default: return "an unsupported value";
  }
}
}  // namespace detail

Params::Params(nlohmann::json values, std::string path) : values_(std::move(values)), path_(std::move(path)) {
  if (values_.is_null()) values_ = nlohmann::json::object();
  if (!values_.is_object()) throw ParamError(path_, "expected an object, got " + detail::json_kind(values_));
}

const nlohmann::json* Params::lookup(std::string_view name) {
  read_.emplace(name);
  auto it = values_.find(name);
  return it == values_.end() ? nullptr : &*it;
}

std::vector<std::string> Params::unread_keys() const {
  std::vector<std::string> unread;
  for (const auto& [key, value] : values_.items())
    if (!read_.contains(key)) unread.push_back(key);
  return unread;
}

void Params::ignore_all() {
  if (!values_.is_object()) return;
  for (const auto& item : values_.items()) read_.emplace(item.key());
}

}  // namespace copper
