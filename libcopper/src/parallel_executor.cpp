// The parallel executor: many copperlists in flight, serial causality per
// task, commit in id order. The rules are in runtime.hpp and
// parallel_plan.hpp; this file is the machinery.
//
// Work items are (node, copperlist id) pairs packed in 64 bits. A worker
// finishing an item delivers its events (parallel_plan.hpp); every pair an
// event makes ready is either kept as the worker's next item (the first one:
// a continuation, no queue traffic, the copperlist still hot in cache) or
// pushed to a shared lock-free queue for the others. With max_in_flight = 1
// and a chain, a single worker runs source, tasks and commit back to back
// without touching the queue or any read-modify-write.
//
// The commit node of copperlist n commits it, then (unless the run is rate
// limited) admits n + max_in_flight into the copperlist it just freed.
// Admissions therefore happen in commit order, one thread at a time. With a
// rate limit, the thread that called run() admits on absolute deadlines
// instead and does not work on items.
#include <boost/lockfree/queue.hpp>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "copper/runtime.hpp"
#include "idle_waiter.hpp"
#include "parallel_plan.hpp"
#include "task_invoker.hpp"
#include "task_lifecycle.hpp"

namespace copper {

namespace {

using Item = uint64_t;
constexpr int kIdBits = 48;
constexpr Item kNoItem = std::numeric_limits<Item>::max();
constexpr uint64_t kNoFailure = std::numeric_limits<uint64_t>::max();

Item make_item(uint32_t node, uint64_t cl_id) { return (uint64_t{node} << kIdBits) | cl_id; }
uint32_t item_node(Item item) { return static_cast<uint32_t>(item >> kIdBits); }
uint64_t item_cl(Item item) { return item & ((uint64_t{1} << kIdBits) - 1); }

// About 20-60 us of polling before sleeping: long enough to bridge the gap
// between two fine-grained items, short enough not to burn an idle core.
constexpr int kSpinRounds = 1 << 11;

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// One per (node, copperlist slot), on its own cache line: different workers
// count down different pairs at the same time.
struct alignas(64) ReadyCount {
  std::atomic<uint32_t> left{0};
};

uint32_t worker_count(const ParallelOptions& options) {
  if (options.threads != 0) return options.threads;
  return std::max(1u, std::thread::hardware_concurrency());
}

}  // namespace

// The state of one run() call, shared by its workers.
class ParallelRun {
 public:
  ParallelRun(Graph& graph, const Clock& clock, CopperListPool& pool, const detail::ParallelPlan& plan,
              const StopConditions& stop, CommitSink* sink, AdmissionFeed* feed, uint64_t keyframe_interval)
      : clock_(clock),
        pool_(pool),
        plan_(plan),
        commit_node_(plan.commit_node()),
        stop_(stop),
        first_(stop.first_cl),
        sink_(sink),
        feed_(feed),
        keyframe_interval_(keyframe_interval),
        in_flight_(pool.capacity()),
        period_(stop.rate_hz > 0 ? static_cast<Nanos>(std::llround(1e9 / stop.rate_hz)) : 0),
        calls_(graph, pool, plan.link_order()),
        counts_(plan.nodes().size() * pool.capacity()),
        queue_(plan.nodes().size() * pool.capacity() + 2) {
    for (uint32_t node = 0; node < plan_.nodes().size(); ++node)
      for (uint64_t cl_id = first_; cl_id < first_ + in_flight_; ++cl_id)
        count(node, cl_id).store(plan_.node(node).needed_for(cl_id == first_), std::memory_order_relaxed);
  }

  // Runs every admitted copperlist to its commit or its discard on
  // `workers` threads (this one included unless it admits on a rate).
  void execute(uint32_t workers, Nanos started, RunReport& report) {
    started_ = started;
    // Every allocation happens here or in the constructor, before the
    // first admission.
    const uint32_t spawned = period_ == 0 ? workers - 1 : workers;
    std::vector<std::thread> threads;
    threads.reserve(spawned);
    for (uint32_t i = 0; i < spawned; ++i) threads.emplace_back([this] { work(); });
    if (period_ == 0) {
      admit_first();
      work();
    } else {
      admit_on_deadlines();
    }
    for (std::thread& thread : threads) thread.join();
    fill(report);
  }

 private:
  std::atomic<uint32_t>& count(uint32_t node, uint64_t cl_id) {
    return counts_[node * in_flight_ + pool_.slot_of(cl_id)].left;
  }

  // --- the per-cycle path

  // A worker's last clock read while it ended a task's span and has only
  // handed over events since: the next task it runs, taken as a
  // continuation, may start its span there (task_invoker.hpp, run_calls).
  using Stamp = detail::SpanStamp;

  void work() {
    Item next = kNoItem;
    Stamp stamp;
    for (;;) {
      Item item = next;
      next = kNoItem;
      if (item == kNoItem) {
        if (!wait_for_item(item)) return;
        stamp.fresh = false;
      }
      run_item(item, next, stamp);
    }
  }

  // Runs the pair and the linked pairs after it (only_next, which nobody
  // else can make ready): a chain goes task to task here like the serial
  // loop, over a slice of calls laid out in link order, not round the
  // worker loop.
  void run_item(Item item, Item& next, Stamp& stamp) {
    const uint32_t node = item_node(item);
    const uint64_t cl_id = item_cl(item);
    if (node != commit_node_) {
      const detail::PlanNode& plan = plan_.node(node);
      const size_t entry = pool_.slot_of(cl_id);
      CopperList& cl = pool_.entry(entry);
      // A copperlist at or after a failure will not be committed: its pairs
      // are not run, only counted through so that the run can drain. (A
      // failure elsewhere while this run goes on is seen by the next item.)
      if (cl_id < first_failure_.load(std::memory_order_acquire)) {
        const auto run = calls_.in_order(entry).subspan(plan.run_begin, plan.run_end - plan.run_begin);
        const detail::CallsOutcome outcome = detail::run_calls(run, cl, stamp);
        if (outcome.failed != nullptr)
          fail(TaskFailure{outcome.failed->node->id, cl_id, outcome.phase, std::string(outcome.status.message())},
               StopReason::task_failed);
      }
      if (!plan.run_commits) {
        // Handing work to the other workers (a queue push, maybe a wake-up
        // call) is not part of the next task's span.
        if (finish_pair(plan.last, cl_id, next)) stamp.fresh = false;
        return;
      }
    }
    stamp.fresh = false;
    run_commit(cl_id, next, stamp);
  }

  // Delivers the events of a finished pair without a chain link: first to
  // the nodes it feeds (continuing down the same copperlist), then to
  // itself for n+1. True when some pair went to the shared queue.
  bool finish_pair(uint32_t node, uint64_t cl_id, Item& next) {
    const detail::PlanNode& plan = plan_.node(node);
    bool queued = false;
    for (uint32_t fed : plan.feeds) queued |= deliver(fed, cl_id, next);
    if (plan.gated) queued |= deliver(node, cl_id + 1, next);
    return queued;
  }

  // True when the pair became ready and went to the shared queue.
  bool deliver(uint32_t node, uint64_t cl_id, Item& next) {
    const detail::PlanNode& plan = plan_.node(node);
    if (plan.needs_counter()) {
      std::atomic<uint32_t>& left = count(node, cl_id);
      if (left.fetch_sub(1, std::memory_order_acq_rel) != 1) return false;
      // Re-armed for cl_id + in_flight_ right away: every event of that pair
      // happens after this pair has run (see the file comment of
      // parallel_plan.hpp), so none can be lost.
      left.store(plan.needed, std::memory_order_relaxed);
    }
    return make_ready(make_item(node, cl_id), next);
  }

  // Keeps the item as this worker's next one if it has none (false), else
  // queues it for the others (true).
  bool make_ready(Item item, Item& next) {
    if (next == kNoItem) {
      next = item;
      return false;
    }
    // Capacity covers every pair of every copperlist in flight, and each
    // pair is ready once: the push cannot fail.
    queue_.bounded_push(item);
    idle_.notify_one();
    return true;
  }

  void run_commit(uint64_t cl_id, Item& next, Stamp& stamp) {
    bool ok = cl_id < first_failure_.load(std::memory_order_acquire);
    if (ok && sink_ != nullptr) {
      CopperList& cl = pool_.for_cycle(cl_id);
      Status status = detail::guarded([&] { return sink_->commit(cl); });
      if (!status.ok()) {
        fail(TaskFailure{"", cl_id, "commit", std::string(status.message())}, StopReason::commit_failed);
        ok = false;
      }
    }
    if (ok) committed_.store(cl_id + 1 - first_, std::memory_order_relaxed);
    if (period_ == 0) {
      // Commits, admissions and closing all happen on the commit chain
      // (each commit happens after the one before): no other thread writes
      // these counters, so plain loads and stores do, and the chain skips two
      // full fences per copperlist.
      retired_.store(retired_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
      // The admitted copperlist's root, kept as this worker's next item,
      // starts its span at the admission's clock read (serial executor too).
      const uint64_t admitting = cl_id + in_flight_;
      if (try_admit(admitting, next) && next != kNoItem) stamp = {pool_.for_cycle(admitting).admitted, true};
      if (closed_.load(std::memory_order_relaxed) &&
          retired_.load(std::memory_order_relaxed) == admitted_.load(std::memory_order_relaxed))
        finish();
    } else {
      // The admitting thread runs beside the chain: Dekker-style, each side
      // writes its counter and then reads the other's, sequentially consistent.
      retired_.fetch_add(1, std::memory_order_seq_cst);
      retired_.notify_one();
      if (closed_.load(std::memory_order_seq_cst) && retired_.load(std::memory_order_seq_cst) == admitted_.load())
        finish();
    }
    // Last: the next commit may start on another thread now, and it admits.
    if (plan_.node(commit_node_).gated && deliver(commit_node_, cl_id + 1, next)) stamp.fresh = false;
  }

  // --- admission

  // Admits copperlist `cl_id` into its (free) slot unless a stop condition
  // holds, in which case admission closes for good. True when it admitted
  // and handed no pair to other workers: the root kept in `next`, if any,
  // may then start its span at the admission stamp.
  bool try_admit(uint64_t cl_id, Item& next) {
    if (closed_.load(std::memory_order_relaxed)) return false;
    if (const std::optional<StopReason> reason = stop_reason(cl_id)) {
      close(*reason);
      return false;
    }
    CopperList& cl = pool_.for_cycle(cl_id);
    cl.recycle(cl_id, clock_.now());
    cl.set_keyframe(keyframe_interval_ != 0 && cl_id % keyframe_interval_ == 0);
    std::optional<TaskFailure> feed_failure;
    if (feed_ != nullptr && !detail::admit_from_feed(*feed_, cl, feed_failure)) {
      if (feed_failure) fail(std::move(*feed_failure), StopReason::input_ended);
      close(StopReason::input_ended);
      return false;
    }
    cl.admitted = fast_now();
    // seq_cst only against a commit chain running beside the admitting thread.
    if (period_ == 0) admitted_.store(cl_id + 1 - first_, std::memory_order_relaxed);
    else admitted_.store(cl_id + 1 - first_, std::memory_order_seq_cst);
    bool queued = false;
    for (uint32_t root : plan_.roots()) queued |= deliver(root, cl_id, next);
    return !queued;
  }

  void close(StopReason reason) {
    reason_ = reason;
    closed_.store(true, std::memory_order_seq_cst);
  }

  std::optional<StopReason> stop_reason(uint64_t cl_id) const {
    if (first_failure_.load(std::memory_order_acquire) != kNoFailure) return StopReason::task_failed;
    if (stop_.cycles != 0 && cl_id - first_ >= stop_.cycles) return StopReason::cycle_limit;
    if (stop_.duration != 0 && monotonic_now() - started_ >= stop_.duration) return StopReason::duration_limit;
    if (stop_.stop_asked()) return StopReason::stop_requested;
    return std::nullopt;
  }

  // The workers are already waiting, and a commit admits the next
  // copperlist: so the first root pair of each copperlist is held back until
  // all are admitted. No copperlist can commit before its held pair runs,
  // and each commit waits for the previous one, so no commit (hence no
  // admission) can interleave with these.
  void admit_first() {
    std::vector<Item> held;
    held.reserve(in_flight_);
    for (uint64_t cl_id = first_; cl_id < first_ + in_flight_ && !closed_.load(); ++cl_id) {
      Item first = kNoItem;
      try_admit(cl_id, first);
      if (first != kNoItem) held.push_back(first);
    }
    for (Item item : held) {
      queue_.bounded_push(item);
      idle_.notify_one();
    }
    if (closed_.load() && retired_.load() == admitted_.load()) finish();
  }

  // Admission from a thread that does not run items.
  void admit_and_publish(uint64_t cl_id) {
    Item first = kNoItem;
    try_admit(cl_id, first);
    if (first != kNoItem) {
      queue_.bounded_push(first);
      idle_.notify_one();
    }
  }

  // Rate-limited runs: admit copperlist n at started + n * period (absolute
  // deadlines do not drift), once its slot is free.
  void admit_on_deadlines() {
    for (uint64_t cl_id = first_; !closed_.load(); ++cl_id) {
      sleep_until(started_ + static_cast<Nanos>(cl_id - first_) * period_);
      for (uint64_t retired = retired_.load(); cl_id - first_ >= retired + in_flight_; retired = retired_.load())
        retired_.wait(retired);
      admit_and_publish(cl_id);
    }
    if (retired_.load(std::memory_order_seq_cst) == admitted_.load()) finish();
  }

  // --- idling and ending

  bool wait_for_item(Item& item) {
    for (;;) {
      for (int spin = 0; spin < kSpinRounds; ++spin) {
        if (queue_.pop(item)) return true;
        if (finished()) return false;
        cpu_relax();
      }
      const uint64_t epoch = idle_.prepare_wait();
      if (queue_.pop(item)) {
        idle_.cancel_wait();
        return true;
      }
      if (finished()) {
        idle_.cancel_wait();
        return false;
      }
      idle_.wait(epoch);
    }
  }

  // Every admitted copperlist is retired and admission is closed: nothing
  // is queued or running. Safe to call twice.
  void finish() {
    finished_.store(true, std::memory_order_seq_cst);
    idle_.notify_all();
  }
  bool finished() const { return finished_.load(std::memory_order_acquire); }

  // Keeps the failure of the lowest copperlist: that is where committing
  // stops, whichever thread failed first in time.
  void fail(TaskFailure failure, StopReason reason) {
    std::lock_guard lock(failure_mutex_);
    if (failure_ && failure_->cl_id <= failure.cl_id) return;
    first_failure_.store(failure.cl_id, std::memory_order_release);
    failure_ = std::move(failure);
    failure_reason_ = reason;
  }

  void fill(RunReport& report) {
    report.committed = committed_.load();
    report.reason = failure_ ? failure_reason_ : reason_;
    report.failure = failure_;
  }

  const Clock& clock_;
  CopperListPool& pool_;
  const detail::ParallelPlan& plan_;
  const uint32_t commit_node_;
  const StopConditions stop_;
  const uint64_t first_;  // id of the first copperlist
  CommitSink* const sink_;
  AdmissionFeed* const feed_;
  const uint64_t keyframe_interval_;
  const uint64_t in_flight_;
  const Nanos period_;
  Nanos started_ = 0;

  detail::TaskCalls calls_;
  std::vector<ReadyCount> counts_;
  boost::lockfree::queue<Item> queue_;
  detail::IdleWaiter idle_;

  alignas(64) std::atomic<uint64_t> admitted_{0};  // copperlists admitted so far
  alignas(64) std::atomic<uint64_t> retired_{0};   // committed or discarded
  std::atomic<uint64_t> committed_{0};
  std::atomic<bool> closed_{false};  // no more admissions
  std::atomic<bool> finished_{false};
  StopReason reason_ = StopReason::cycle_limit;  // why admission closed

  std::atomic<uint64_t> first_failure_{kNoFailure};
  std::mutex failure_mutex_;
  std::optional<TaskFailure> failure_;
  StopReason failure_reason_ = StopReason::task_failed;
};

ParallelExecutor::ParallelExecutor(Graph& graph, const Clock& clock, ParallelOptions options)
    : graph_(graph), clock_(clock), options_(options), pool_(graph, std::max(options.max_in_flight, 1u)) {
  options_.max_in_flight = static_cast<uint32_t>(pool_.capacity());
  options_.threads = worker_count(options);
}

ParallelExecutor::~ParallelExecutor() = default;

RunReport ParallelExecutor::run(const StopConditions& stop, CommitSink* sink) {
  RunReport report;
  const Nanos started = monotonic_now();
  if (!detail::start_tasks(graph_, clock_, report)) {
    report.wall_time = monotonic_now() - started;
    return report;
  }
  const detail::ParallelPlan plan(graph_, options_.max_in_flight);
  {
    ParallelRun run(graph_, clock_, pool_, plan, stop, sink, feed_, keyframe_interval_);
    run.execute(options_.threads, started, report);
  }
  // Every worker has stopped; the failing copperlist was never recycled,
  // since nothing is admitted after a failure.
  detail::record_failed_copperlist(pool_, sink, report);
  const uint64_t last_id = report.failure ? report.failure->cl_id : stop.first_cl + report.committed;
  detail::stop_tasks(graph_, clock_, graph_.order().size(), last_id, report);
  report.wall_time = monotonic_now() - started;
  return report;
}

}  // namespace copper
