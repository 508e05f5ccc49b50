#include "copper/runtime.hpp"

#include <fmt/format.h>

#include <atomic>
#include <cmath>
#include <csignal>

#include "task_invoker.hpp"
#include "task_lifecycle.hpp"

namespace copper {

namespace {

std::atomic<bool> g_stop_requested{false};
static_assert(std::atomic<bool>::is_always_lock_free, "the signal handler needs a lock-free flag");

extern "C" void on_stop_signal(int) { g_stop_requested.store(true, std::memory_order_relaxed); }

constexpr Nanos kNanosPerSecond = 1'000'000'000;

// A serial run fills one copperlist at a time and commits it before the
// next is admitted: one copperlist is all it needs.
constexpr size_t kSerialPoolSize = 1;

}  // namespace

void install_stop_signal_handlers() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  // No SA_RESTART: a rate-limited sleep must wake up on Ctrl-C.
  action.sa_flags = 0;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

bool stop_requested() { return g_stop_requested.load(std::memory_order_relaxed); }
void request_stop() { g_stop_requested.store(true, std::memory_order_relaxed); }
void clear_stop_request() { g_stop_requested.store(false, std::memory_order_relaxed); }

bool StopConditions::stop_asked() const {
  return (stop_flag != nullptr && stop_flag->load(std::memory_order_relaxed)) || stop_requested();
}

StopConditions StopConditions::from(const RuntimeConfig& runtime) {
  StopConditions stop;
  stop.cycles = runtime.cycles;
  stop.duration = static_cast<Nanos>(std::llround(runtime.duration_s * static_cast<double>(kNanosPerSecond)));
  stop.rate_hz = runtime.rate_hz;
  return stop;
}

Status CommitFanout::commit(const CopperList& cl) {
  for (CommitSink* sink : sinks_) {
    Status status = sink->commit(cl);
    if (!status.ok()) return status;
  }
  return {};
}

Status CommitFanout::record_failure(const CopperList& cl, const TaskFailure& failure) {
  for (CommitSink* sink : sinks_) {
    Status status = sink->record_failure(cl, failure);
    if (!status.ok()) return status;
  }
  return {};
}

const char* to_string(StopReason reason) {
  switch (reason) {
    case StopReason::cycle_limit: return "cycle limit reached";
    case StopReason::input_ended: return "end of the recorded input";
    case StopReason::duration_limit: return "duration limit reached";
    case StopReason::stop_requested: return "stop requested";
    case StopReason::task_failed: return "task failed";
    case StopReason::commit_failed: return "commit failed";
  }
  return "unknown";
}

std::string TaskFailure::describe() const {
  if (phase == "commit") return fmt::format("commit of copperlist {} failed: {}", cl_id, message);
  if (phase == "admit") return fmt::format("admitting copperlist {} failed: {}", cl_id, message);
  return fmt::format("task \"{}\" failed in {} at copperlist {}: {}", task_id, phase, cl_id, message);
}

SerialExecutor::SerialExecutor(Graph& graph, const Clock& clock)
    : graph_(graph), clock_(clock), pool_(graph, kSerialPoolSize) {}

// Recycles the copperlist for cycle `id`; false when the feed has no such
// copperlist, or fails (the report says which). The admission stamp is read
// last, after the feed's work: it is also the start of the first task's
// span (run_cycle).
bool SerialExecutor::admit(uint64_t id, RunReport& report) {
  CopperList& cl = pool_.for_cycle(id);
  cl.recycle(id, clock_.now());
  cl.set_keyframe(keyframe_interval_ != 0 && id % keyframe_interval_ == 0);
  if (feed_ != nullptr && !detail::admit_from_feed(*feed_, cl, report.failure)) {
    report.reason = StopReason::input_ended;
    return false;
  }
  cl.admitted = fast_now();
  return true;
}

// The hot path: one admitted copperlist through every task, then the commit.
// Clock reads are most of the per-task cost, so consecutive tasks without
// hooks share one (run_calls): the end of one's process() is the start of
// the next's. The first starts at the admission stamp.
bool SerialExecutor::run_cycle(std::span<detail::TaskCall* const> calls, CopperList& cl, CommitSink* sink,
                               RunReport& report) {
  detail::SpanStamp stamp{cl.admitted, true};
  const detail::CallsOutcome outcome = detail::run_calls(calls, cl, stamp);
  if (outcome.failed != nullptr) return fail(*outcome.failed->node, cl.id, outcome.phase, outcome.status, report);
  if (sink != nullptr) {
    Status status = detail::guarded([&] { return sink->commit(cl); });
    if (!status.ok()) {
      report.failure = TaskFailure{"", cl.id, "commit", std::string(status.message())};
      report.reason = StopReason::commit_failed;
      return false;
    }
  }
  ++report.committed;
  return true;
}

bool SerialExecutor::fail(const TaskNode& node, uint64_t cl_id, const char* phase, const Status& status,
                          RunReport& report) {
  report.failure = TaskFailure{node.id, cl_id, phase, std::string(status.message())};
  report.reason = StopReason::task_failed;
  return false;
}

RunReport SerialExecutor::run(const StopConditions& stop, CommitSink* sink) {
  RunReport report;
  const Nanos started = monotonic_now();
  if (!detail::start_tasks(graph_, clock_, report)) {
    report.wall_time = monotonic_now() - started;
    return report;
  }
  const detail::TaskCalls calls(graph_, pool_);
  const Nanos period = stop.rate_hz > 0 ? static_cast<Nanos>(static_cast<double>(kNanosPerSecond) / stop.rate_hz) : 0;
  uint64_t id = stop.first_cl;
  for (;; ++id) {
    if (stop.cycles != 0 && id - stop.first_cl >= stop.cycles) {
      report.reason = StopReason::cycle_limit;
      break;
    }
    if (stop.duration != 0 && monotonic_now() - started >= stop.duration) {
      report.reason = StopReason::duration_limit;
      break;
    }
    if (period != 0) sleep_until(started + static_cast<Nanos>(id) * period);
    if (stop.stop_asked()) {
      report.reason = StopReason::stop_requested;
      break;
    }
    if (!admit(id, report)) break;
    if (!run_cycle(calls.in_order(pool_.slot_of(id)), pool_.for_cycle(id), sink, report)) break;
  }
  detail::record_failed_copperlist(pool_, sink, report);
  detail::stop_tasks(graph_, clock_, graph_.order().size(), id, report);
  report.wall_time = monotonic_now() - started;
  return report;
}

ParallelOptions ParallelOptions::from(const RuntimeConfig& runtime) {
  ParallelOptions options;
  options.max_in_flight = runtime.max_in_flight;
  options.threads = runtime.threads;
  return options;
}

std::unique_ptr<Executor> make_executor(Graph& graph, const Clock& clock, const RuntimeConfig& runtime) {
  if (runtime.mode == RunMode::parallel)
    return std::make_unique<ParallelExecutor>(graph, clock, ParallelOptions::from(runtime));
  return std::make_unique<SerialExecutor>(graph, clock);
}

}  // namespace copper
