#include "copper/registry.hpp"

#include <cstdio>
#include <cstdlib>

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

bool register_task_or_die(TaskType type) {
  std::string name = type.name;
  if (!Registry::global().add(std::move(type))) {
    std::fprintf(stderr, "copper: task type \"%s\" is registered twice\n", name.c_str());
    std::abort();
  }
  return true;
}

}  // namespace copper
