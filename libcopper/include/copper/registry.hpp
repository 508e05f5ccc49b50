// Task types by name, so a JSON config can say "type": "rover/pose".
//
// Registration is one line beside the task:
//   COPPER_REGISTER_TASK(rover::PoseEstimator, "rover/pose_estimator");
// It runs during static initialisation: when a plugin is loaded (plugin.hpp),
// or, for tasks linked into a program, before main(), in which case the task
// library must be linked whole (meson: link_whole) for its registrations to
// survive the link.
//
// Two registrations of one name are a conflict, never a crash: the first
// stays, the second is remembered (conflicts()), and the tools refuse to run
// while there is one, naming both origins.
#pragma once

#include <concepts>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "copper/export.hpp"
#include "copper/params.hpp"
#include "copper/task.hpp"

namespace copper {

struct TaskType {
  std::string name;
  TaskKind kind = TaskKind::task;
  bool stateless = false;
  // Overrides preprocess() or postprocess(). A type without them lets the
  // serial executor skip both calls and share one timestamp between the end
  // of a task's process() and the start of the next (runtime.cpp); true
  // unless describe_task proved otherwise.
  bool hooks = true;
  std::vector<const MessageType*> inputs;
  std::vector<std::string> input_names;
  const MessageType* output = nullptr;  // null for sinks
  // Builds an instance, reading its parameters; throws ParamError.
  std::unique_ptr<TaskBase> (*create)(Params& params) = nullptr;
  // Who registered it: the plugin's name, or empty for a type linked into
  // the program. Set by the registry, not by describe_task.
  std::string origin;
};

// A name registered twice: the origin whose type was kept, and the one
// refused ("" for the program itself).
struct RegistryConflict {
  std::string type;
  std::string kept_origin;
  std::string refused_origin;

  // "task type "x" is registered twice: by plugin "a" and by the program itself"
  COPPER_API std::string describe() const;
};

class COPPER_API Registry {
 public:
  // The registry COPPER_REGISTER_TASK fills.
  static Registry& global();

  // Returns false (and keeps the first) when the name is already taken.
  [[nodiscard]] bool add(TaskType type);
  const TaskType* find(std::string_view name) const;
  std::vector<std::string> names() const;

  // Registrations refused because the name was taken, in the order met.
  const std::vector<RegistryConflict>& conflicts() const { return conflicts_; }
  void add_conflict(RegistryConflict conflict) { conflicts_.push_back(std::move(conflict)); }
  // Gives the types and conflicts of origin `from` the origin `to` (the
  // plugin loader names a plugin's registrations once it knows its name).
  void rename_origin(std::string_view from, const std::string& to);

 private:
  std::map<std::string, TaskType, std::less<>> types_;
  std::vector<RegistryConflict> conflicts_;
};

namespace detail {

template <class T>
concept HasInputNames = requires { T::input_names; };

template <class T>
concept HasStatelessFlag = requires { { T::stateless } -> std::convertible_to<bool>; };

// &T::preprocess names the class that declares it: TaskBase's own unless T
// (or a class between) overrides it.
template <class T>
constexpr bool overrides_hooks =
    !std::is_same_v<decltype(&T::preprocess), Status (TaskBase::*)(const Context&)> ||
    !std::is_same_v<decltype(&T::postprocess), Status (TaskBase::*)(const Context&)>;

template <class Tuple, size_t... I>
std::vector<const MessageType*> input_types(std::index_sequence<I...>) {
  return {&message_type<std::tuple_element_t<I, Tuple>>()...};
}

template <class T>
std::unique_ptr<TaskBase> create_task(Params& params) {
  if constexpr (std::constructible_from<T, Params&>) {
    return std::make_unique<T>(params);
  } else {
    return std::make_unique<T>();
  }
}

}  // namespace detail

template <class T>
TaskType describe_task(std::string name) {
  using Inputs = typename T::Inputs;
  constexpr size_t input_count = std::tuple_size_v<Inputs>;
  TaskType type;
  type.name = std::move(name);
  type.kind = T::kind;
  if constexpr (detail::HasStatelessFlag<T>) type.stateless = T::stateless;
  type.hooks = detail::overrides_hooks<T>;
  type.inputs = detail::input_types<Inputs>(std::make_index_sequence<input_count>{});
  if constexpr (detail::HasInputNames<T>) {
    static_assert(std::size(T::input_names) == input_count, "input_names must name every input");
    for (const auto& input : T::input_names) type.input_names.emplace_back(input);
  } else {
    for (size_t i = 0; i < input_count; ++i) type.input_names.push_back("in" + std::to_string(i));
  }
  if constexpr (!std::is_void_v<typename T::Output>) type.output = &message_type<typename T::Output>();
  type.create = &detail::create_task<T>;
  return type;
}

// What COPPER_REGISTER_TASK calls at static-initialisation time: adds the
// type to Registry::global() with the origin being loaded (the plugin whose
// initialisers are running, else the program), or records a conflict.
COPPER_API bool register_task(TaskType type);

}  // namespace copper

#define COPPER_DETAIL_CONCAT2(a, b) a##b
#define COPPER_DETAIL_CONCAT(a, b) COPPER_DETAIL_CONCAT2(a, b)
#define COPPER_REGISTER_TASK(Type, Name)                                                 \
  [[maybe_unused]] static const bool COPPER_DETAIL_CONCAT(copper_registered_task_, __LINE__) = \
      ::copper::register_task(::copper::describe_task<Type>(Name))
