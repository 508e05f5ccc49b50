// Executors: run a planned Graph cycle after cycle and hand every completed
// copperlist, in id order, to a CommitSink (the log writer, statistics...).
//
// The per-cycle paths live in SerialExecutor::run_cycle, in
// src/parallel_executor.cpp (ParallelRun::run_item) and, for the loop over
// tasks both share and the task call itself, in src/task_invoker.hpp
// (run_calls): no allocation, no map lookup, no string work there.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "copper/export.hpp"
#include "copper/clock.hpp"
#include "copper/copperlist.hpp"
#include "copper/graph.hpp"
#include "copper/status.hpp"

namespace copper {

namespace detail {
struct TaskCall;
}

struct COPPER_API StopConditions {
  uint64_t cycles = 0;   // stop after this many committed cycles; 0 = no limit
  Nanos duration = 0;    // stop after this much wall time; 0 = no limit
  double rate_hz = 0;    // admit cycles on absolute deadlines; 0 = as fast as possible
  uint64_t first_cl = 0; // id of the first copperlist (replay starting at a keyframe)
  // This run's own stop request: set it from any thread and the run stops
  // after the current cycle, as on SIGINT/SIGTERM (which stop every run in
  // the process). Null: only the signals. Must outlive the run.
  const std::atomic<bool>* stop_flag = nullptr;

  // A stop was asked of this run: its own flag or a signal.
  bool stop_asked() const;

  static StopConditions from(const RuntimeConfig& runtime);
};

struct TaskFailure;

// Receives completed copperlists strictly in id order. An error (a full
// disk, say) stops the run: admission ends and the run reports it.
class COPPER_API CommitSink {
 public:
  virtual ~CommitSink() = default;
  virtual Status commit(const CopperList& cl) = 0;
  // When a task fails in a copperlist (preprocess, process, postprocess),
  // after every copperlist before it was committed: that copperlist as it
  // stood, which is never committed. The log writer records it so a replay
  // can reproduce the failure; other sinks ignore it.
  virtual Status record_failure(const CopperList& cl, const TaskFailure& failure) {
    (void)cl;
    (void)failure;
    return {};
  }
};

// Forwards each commit to several sinks, in the order they were added.
class COPPER_API CommitFanout final : public CommitSink {
 public:
  void add(CommitSink* sink) { sinks_.push_back(sink); }
  Status commit(const CopperList& cl) override;
  Status record_failure(const CopperList& cl, const TaskFailure& failure) override;

 private:
  std::vector<CommitSink*> sinks_;
};

enum class StopReason {
  cycle_limit,     // the requested number of cycles ran
  input_ended,     // the admission feed had no more copperlists (end of a replayed log)
  duration_limit,  // the requested wall time elapsed
  stop_requested,  // SIGINT/SIGTERM or request_stop()
  task_failed,     // a task returned an error or threw
  commit_failed,   // the commit sink returned an error
};

COPPER_API const char* to_string(StopReason reason);

struct COPPER_API TaskFailure {
  std::string task_id;
  uint64_t cl_id = 0;
  std::string phase;  // start, preprocess, process, postprocess, stop, commit, admit (the feed failed)
  std::string message;

  // "task "pose" failed in process at copperlist 41: <message>"
  std::string describe() const;
  // A failure inside a copperlist (preprocess, process, postprocess), as
  // opposed to start, stop or a commit.
  bool in_copperlist() const { return phase == "preprocess" || phase == "process" || phase == "postprocess"; }
};

struct RunReport {
  uint64_t committed = 0;  // copperlists handed to the sink: ids first_cl..first_cl+committed-1
  StopReason reason = StopReason::cycle_limit;
  std::optional<TaskFailure> failure;      // why the run stopped early
  std::vector<TaskFailure> stop_failures;  // errors from stop() calls
  Nanos wall_time = 0;

  // True when the run ended on a limit or a stop request with no error.
  bool ok() const { return !failure && stop_failures.empty(); }
};

// SIGINT and SIGTERM set a process-wide stop flag that every executor checks
// once per cycle (StopConditions::stop_asked); the current cycle finishes and
// is committed. To stop one run of several, use StopConditions::stop_flag.
COPPER_API void install_stop_signal_handlers();
COPPER_API bool stop_requested();
COPPER_API void request_stop();
COPPER_API void clear_stop_request();

// Replay's hook into admission: gives each copperlist its time (and loads
// whatever recorded data its stand-in sources will read) instead of the
// clock. Called once per copperlist, in id order, before any task of that
// copperlist runs, after the copperlist was recycled.
class COPPER_API AdmissionFeed {
 public:
  virtual ~AdmissionFeed() = default;
  // False when there is no copperlist `cl.id` to admit: admission ends
  // (StopReason::input_ended) and the copperlists before it finish.
  virtual bool admit(CopperList& cl) = 0;
};

// What the recorder and replay drive: an executor runs the graph's tasks
// cycle after cycle and commits every copperlist, in id order, to the sink.
class COPPER_API Executor {
 public:
  virtual ~Executor() = default;

  // Calls start() on every task, cycles until a stop condition, then stop()
  // on every task that started, whatever happened.
  virtual RunReport run(const StopConditions& stop, CommitSink* sink = nullptr) = 0;

  // Every `interval` copperlists (0: never), freeze each task that supports
  // it just before it processes that copperlist; the states travel with the
  // copperlist to the commit sink.
  void set_keyframe_interval(uint64_t interval) { keyframe_interval_ = interval; }

  // With a feed, copperlist times come from it rather than from the clock.
  void set_admission_feed(AdmissionFeed* feed) { feed_ = feed; }

 protected:
  uint64_t keyframe_interval_ = 0;
  AdmissionFeed* feed_ = nullptr;
};

// Admit cycle n, run every task in topological order, commit, recycle.
class COPPER_API SerialExecutor final : public Executor {
 public:
  SerialExecutor(Graph& graph, const Clock& clock);

  RunReport run(const StopConditions& stop, CommitSink* sink = nullptr) override;

 private:
  bool admit(uint64_t id, RunReport& report);
  // `calls`: the copperlist's task calls (src/task_calls.hpp) in the graph's order.
  bool run_cycle(std::span<detail::TaskCall* const> calls, CopperList& cl, CommitSink* sink,
                 RunReport& report);
  bool fail(const TaskNode& node, uint64_t cl_id, const char* phase, const Status& status, RunReport& report);

  Graph& graph_;
  const Clock& clock_;
  CopperListPool pool_;
};

struct COPPER_API ParallelOptions {
  uint32_t max_in_flight = 4;  // copperlists admitted and not yet committed, >= 1
  uint32_t threads = 0;        // workers; 0: one per hardware thread

  static ParallelOptions from(const RuntimeConfig& runtime);
};

// Several copperlists in flight, every task still seeing them in order.
//
// A (task, copperlist n) pair runs as soon as its producers have finished n
// and the task itself has finished n-1 (stateless tasks skip that second
// rule and may run several copperlists at once). Independent branches of one
// copperlist run at the same time. Copperlists are committed strictly in id
// order; a source runs only once its copperlist is admitted, and at most
// max_in_flight are admitted and not yet committed (backpressure, never a
// drop). The thread calling run() works too; idle workers spin briefly, then
// sleep. A failure at copperlist k stops admission: 0..k-1 are committed,
// k and later are not, every task is stopped. The scheduling is in
// src/parallel_executor.cpp, the per-node plan in src/parallel_plan.hpp.
class COPPER_API ParallelExecutor final : public Executor {
 public:
  ParallelExecutor(Graph& graph, const Clock& clock, ParallelOptions options);
  ~ParallelExecutor() override;

  RunReport run(const StopConditions& stop, CommitSink* sink = nullptr) override;

  const ParallelOptions& options() const { return options_; }

 private:
  Graph& graph_;
  const Clock& clock_;
  ParallelOptions options_;
  CopperListPool pool_;
};

// The executor the runtime config asks for (mode, max_in_flight, threads).
COPPER_API std::unique_ptr<Executor> make_executor(Graph& graph, const Clock& clock, const RuntimeConfig& runtime);

}  // namespace copper
