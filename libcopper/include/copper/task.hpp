// The task API: what a user writes to put robot logic into a graph.
//
// Derive from one of three templates and override process():
//
//   class Lidar : public copper::Source<Scan> {            // sensor driver
//     copper::Status process(const copper::Context&, Scan& out) override;
//   };
//   class Pose : public copper::Task<PoseEstimate, Imu, Odometry> {
//     copper::Status process(const copper::Context&, const Imu&, const Odometry&,
//                            PoseEstimate& out) override;
//   };
//   class Motor : public copper::Sink<Command> {            // actuator
//     copper::Status process(const copper::Context&, const Command&) override;
//   };
//
// Register the type next to it: COPPER_REGISTER_TASK(Pose, "rover/pose");
//
// Rules the runtime relies on:
// - Time comes from the Context only (the copperlist's timestamp), never from
//   a clock the task reads itself; replay can then reproduce it exactly.
// - The output message is recycled from an older copperlist and reset
//   (numbers zeroed, strings and vectors cleared with their capacity kept)
//   before process() is called: fill it, don't reallocate it.
// - Report failure by returning Status::error(...) or by throwing; the
//   runtime stops cleanly and names the task and the copperlist.
// - A task whose output depends only on its inputs of this cycle may declare
//   `static constexpr bool stateless = true;` so the parallel runtime may run
//   several copperlists through it at once.
// - Name the inputs for configs with
//   `static constexpr std::array<std::string_view, N> input_names{...};`
//   otherwise they are called in0, in1, ...
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "copper/export.hpp"
#include "copper/clock.hpp"
#include "copper/message.hpp"
#include "copper/status.hpp"

namespace copper {

class TextLogBuffer;

enum class TaskKind : uint8_t { source, task, sink };

namespace detail {
struct ContextAccess;
}

// What a task sees of the world on each call. The runtime fills it; a task
// only reads it. Its fields are private so the runtime may change how it
// carries them without breaking a task library built against these headers.
class Context {
 public:
  // A context for calling a task outside a runtime (a unit test of a task):
  // text logging is off and set_time_of_validity goes nowhere.
  explicit Context(uint64_t cl_id = 0, Nanos time = 0, uint32_t task_index = 0, std::string_view task_id = {})
      : cl_id_(cl_id), time_(time), task_index_(task_index), task_id_(task_id) {}

  uint64_t cl_id() const { return cl_id_; }           // the copperlist being processed
  Nanos time() const { return time_; }                // that copperlist's timestamp
  uint32_t task_index() const { return task_index_; } // position of this task in the graph
  std::string_view task_id() const { return task_id_; }  // its id in the config

  // A source may say when its reading was valid (a hardware timestamp);
  // by default the output is valid at `time()`.
  void set_time_of_validity(Nanos t) const {
    if (time_of_validity_ != nullptr) *time_of_validity_ = t;
  }

 private:
  friend struct detail::ContextAccess;

  uint64_t cl_id_;
  Nanos time_;
  uint32_t task_index_;
  std::string_view task_id_;
  Nanos* time_of_validity_ = nullptr;  // where set_time_of_validity writes
  TextLogBuffer* text_log_ = nullptr;  // where CU_INFO and friends write; null: text logging off
};

namespace detail {

// The runtime's side of Context: building one with its buffers, and the
// text-log macros' access to the buffer.
struct ContextAccess {
  static Context make(uint64_t cl_id, Nanos time, uint32_t task_index, std::string_view task_id,
                      Nanos* time_of_validity, TextLogBuffer* text_log) {
    Context ctx(cl_id, time, task_index, task_id);
    ctx.time_of_validity_ = time_of_validity;
    ctx.text_log_ = text_log;
    return ctx;
  }
  static TextLogBuffer* text_log(const Context& ctx) { return ctx.text_log_; }
};

}  // namespace detail

class COPPER_API TaskBase {
 public:
  virtual ~TaskBase() = default;

  virtual Status start(const Context&) { return {}; }
  virtual Status preprocess(const Context&) { return {}; }
  virtual Status postprocess(const Context&) { return {}; }
  virtual Status stop(const Context&) { return {}; }

  // Keyframes. A task whose state can be saved appends it to `out` and
  // returns true; thaw() restores exactly that state. encode()/decode() from
  // message.hpp serialise a described state struct in one line each.
  virtual bool freeze(std::vector<uint8_t>& out) const {
    (void)out;
    return false;
  }
  virtual Status thaw(std::span<const uint8_t> state) {
    (void)state;
    return Status::error("task does not support thaw");
  }

  // The type-erased per-cycle call; Source, Task and Sink implement it by
  // casting the slots to their message types and calling process().
  virtual Status run(const Context& ctx, const void* const* inputs, void* output) = 0;
};

template <Message Out>
class Source : public TaskBase {
 public:
  using Output = Out;
  using Inputs = std::tuple<>;
  static constexpr TaskKind kind = TaskKind::source;

  virtual Status process(const Context& ctx, Out& out) = 0;

  Status run(const Context& ctx, const void* const*, void* output) final {
    return process(ctx, *static_cast<Out*>(output));
  }
};

template <Message Out, Message... Ins>
class Task : public TaskBase {
  static_assert(sizeof...(Ins) >= 1, "a Task has at least one input; use Source for none");

 public:
  using Output = Out;
  using Inputs = std::tuple<Ins...>;
  static constexpr TaskKind kind = TaskKind::task;

  virtual Status process(const Context& ctx, const Ins&... in, Out& out) = 0;

  Status run(const Context& ctx, const void* const* inputs, void* output) final {
    return call(ctx, inputs, *static_cast<Out*>(output), std::index_sequence_for<Ins...>{});
  }

 private:
  template <size_t... I>
  Status call(const Context& ctx, const void* const* inputs, Out& out, std::index_sequence<I...>) {
    return process(ctx, *static_cast<const Ins*>(inputs[I])..., out);
  }
};

template <Message... Ins>
class Sink : public TaskBase {
  static_assert(sizeof...(Ins) >= 1, "a Sink has at least one input");

 public:
  using Output = void;
  using Inputs = std::tuple<Ins...>;
  static constexpr TaskKind kind = TaskKind::sink;

  virtual Status process(const Context& ctx, const Ins&... in) = 0;

  Status run(const Context& ctx, const void* const* inputs, void*) final {
    return call(ctx, inputs, std::index_sequence_for<Ins...>{});
  }

 private:
  template <size_t... I>
  Status call(const Context& ctx, const void* const* inputs, std::index_sequence<I...>) {
    return process(ctx, *static_cast<const Ins*>(inputs[I])...);
  }
};

COPPER_API const char* to_string(TaskKind kind);

// freeze()/thaw() in one line each for a task whose state is one described
// struct. thaw_state decodes into a fresh value first, so a damaged keyframe
// leaves the task's state untouched.
template <Message State>
bool freeze_state(const State& state, std::vector<uint8_t>& out) {
  encode(state, out);
  return true;
}

template <Message State>
Status thaw_state(std::span<const uint8_t> bytes, State& state) {
  State restored;
  Status status = decode(bytes, restored);
  if (status.ok()) state = std::move(restored);
  return status;
}

}  // namespace copper
