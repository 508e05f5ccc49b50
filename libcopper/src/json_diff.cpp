#include "copper/json_diff.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace copper {

namespace {

// "pose" + "x" -> "pose.x"; "ranges" + "[3]" -> "ranges[3]".
std::string prefix_path(const std::string& parent, const std::string& child) {
  if (child.empty()) return parent;
  return child.front() == '[' ? parent + child : parent + "." + child;
}

}  // namespace

std::optional<JsonDifference> first_json_difference(const nlohmann::json& left, const nlohmann::json& right) {
  if (left.type() != right.type() && !(left.is_number() && right.is_number())) return JsonDifference{"", left, right};
  if (left.is_object()) {
    for (const auto& [key, value] : left.items()) {
      if (!right.contains(key)) return JsonDifference{key, value, nullptr};
      if (auto inner = first_json_difference(value, right.at(key))) {
        inner->path = prefix_path(key, inner->path);
        return inner;
      }
    }
    for (const auto& [key, value] : right.items())
      if (!left.contains(key)) return JsonDifference{key, nullptr, value};
    return std::nullopt;
  }
  if (left.is_array()) {
    const size_t common = std::min(left.size(), right.size());
    for (size_t i = 0; i < common; ++i) {
      if (auto inner = first_json_difference(left[i], right[i])) {
        inner->path = prefix_path(fmt::format("[{}]", i), inner->path);
        return inner;
      }
    }
    if (left.size() != right.size())
      return JsonDifference{fmt::format("[{}]", common), common < left.size() ? left[common] : nlohmann::json(nullptr),
                            common < right.size() ? right[common] : nlohmann::json(nullptr)};
    return std::nullopt;
  }
  if (left != right) return JsonDifference{"", left, right};
  return std::nullopt;
}

}  // namespace copper
