// Task types by name, so a JSON config can say "type": "rover/pose".
//
// Registration is one line beside the task:
//   COPPER_REGISTER_TASK(rover::PoseEstimator, "rover/pose_estimator");
// It runs during static initialisation, so a library of tasks must be
// linked whole (meson: link_whole) for its registrations to survive.
#pragma once

#include <concepts>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

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
};

class Registry {
 public:
  // The registry COPPER_REGISTER_TASK fills.
  static Registry& global();

  // Returns false (and keeps the first) when the name is already taken.
  bool add(TaskType type);
  const TaskType* find(std::string_view name) const;
  std::vector<std::string> names() const;

 private:
  std::map<std::string, TaskType, std::less<>> types_;
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

// Registers at static-initialisation time; aborts with a message on a
// duplicate name because two tasks claiming one name is a build mistake.
bool register_task_or_die(TaskType type);

}  // namespace copper

#define COPPER_DETAIL_CONCAT2(a, b) a##b
#define COPPER_DETAIL_CONCAT(a, b) COPPER_DETAIL_CONCAT2(a, b)
#define COPPER_REGISTER_TASK(Type, Name)                                                 \
  [[maybe_unused]] static const bool COPPER_DETAIL_CONCAT(copper_registered_task_, __LINE__) = \
      ::copper::register_task_or_die(::copper::describe_task<Type>(Name))
