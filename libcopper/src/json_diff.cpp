#include "copper/json_diff.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace copper {

namespace {

// "pose" + "x" -> "pose.x"; "ranges" + "[3]" -> "ranges[3]".
std::string prefix_path(const std::string& parent, const std::string& child) {
  if (child.empty()) return parent;
  if (parent.empty()) return child;
  return child.front() == '[' ? parent + child : parent + "." + child;
}

}  // namespace

namespace {

// Walks both values in the order first_json_difference documents, counting
// every difference and keeping the first `limit`.
class DifferenceCollector {
 public:
  explicit DifferenceCollector(size_t limit) : limit_(limit) {}

  void walk(const std::string& path, const nlohmann::json& left, const nlohmann::json& right) {
    if (left.type() != right.type() && !(left.is_number() && right.is_number())) return found(path, left, right);
    if (left.is_object()) return walk_object(path, left, right);
    if (left.is_array()) return walk_array(path, left, right);
    if (left != right) found(path, left, right);
  }

  JsonDifferences take() { return std::move(result_); }

 private:
  void walk_object(const std::string& path, const nlohmann::json& left, const nlohmann::json& right) {
    for (const auto& [key, value] : left.items()) {
      if (!right.contains(key)) found(prefix_path(path, key), value, nullptr);
      else walk(prefix_path(path, key), value, right.at(key));
    }
    for (const auto& [key, value] : right.items())
      if (!left.contains(key)) found(prefix_path(path, key), nullptr, value);
  }

  void walk_array(const std::string& path, const nlohmann::json& left, const nlohmann::json& right) {
    const size_t common = std::min(left.size(), right.size());
    for (size_t i = 0; i < common; ++i) walk(prefix_path(path, fmt::format("[{}]", i)), left[i], right[i]);
    if (left.size() != right.size())
      found(prefix_path(path, fmt::format("[{}]", common)), common < left.size() ? left[common] : nlohmann::json(nullptr),
            common < right.size() ? right[common] : nlohmann::json(nullptr));
  }

  void found(std::string path, const nlohmann::json& left, const nlohmann::json& right) {
    ++result_.total;
    if (result_.first.size() < limit_) result_.first.push_back({std::move(path), left, right});
  }

  size_t limit_;
  JsonDifferences result_;
};

}  // namespace

JsonDifferences json_differences(const nlohmann::json& left, const nlohmann::json& right, size_t limit) {
  DifferenceCollector collector(limit);
  collector.walk("", left, right);
  return collector.take();
}

std::optional<JsonDifference> first_json_difference(const nlohmann::json& left, const nlohmann::json& right) {
  JsonDifferences differences = json_differences(left, right, 1);
  if (differences.first.empty()) return std::nullopt;
  return std::move(differences.first.front());
}

}  // namespace copper
