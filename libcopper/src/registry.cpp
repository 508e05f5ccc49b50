#include "copper/registry.hpp"

#include <fmt/format.h>

#include "plugin_loading.hpp"

namespace copper {

const char* to_string(TaskKind kind) {
  switch (kind) {
    case TaskKind::source: return "source";
    case TaskKind::task: return "task";
    case TaskKind::sink: return "sink";
  }
  return "unknown";
}

Registry& Registry::global() {
  // A function-local static: registrations from other translation units run
  // during static initialisation, in an order we do not control.
  static Registry registry;
  return registry;
}

bool Registry::add(TaskType type) {
  std::string name = type.name;
  return types_.emplace(std::move(name), std::move(type)).second;
}

const TaskType* Registry::find(std::string_view name) const {
  auto it = types_.find(name);
  return it == types_.end() ? nullptr : &it->second;
}

std::vector<std::string> Registry::names() const {
  std::vector<std::string> names;
  names.reserve(types_.size());
  for (const auto& [name, type] : types_) names.push_back(name);
  return names;
}

void Registry::rename_origin(std::string_view from, const std::string& to) {
  for (auto& [name, type] : types_)
    if (type.origin == from) type.origin = to;
  for (auto& conflict : conflicts_) {
    if (conflict.kept_origin == from) conflict.kept_origin = to;
    if (conflict.refused_origin == from) conflict.refused_origin = to;
  }
}

std::string RegistryConflict::describe() const {
  auto origin = [](const std::string& name) {
    return name.empty() ? std::string("the program itself") : fmt::format("plugin \"{}\"", name);
  };
  return fmt::format("task type \"{}\" is registered twice: by {} and by {}", type, origin(kept_origin),
                     origin(refused_origin));
}

bool register_task(TaskType type) {
  Registry& registry = Registry::global();
  type.origin = detail::registering_origin();
  const TaskType* existing = registry.find(type.name);
  if (existing != nullptr) {
    registry.add_conflict({type.name, existing->origin, type.origin});
    return false;
  }
  return registry.add(std::move(type));
}

}  // namespace copper
