#include "task_lifecycle.hpp"

#include <string>

#include "task_invoker.hpp"

namespace copper::detail {

bool start_tasks(Graph& graph, const Clock& clock, RunReport& report) {
  const auto& order = graph.order();
  for (size_t position = 0; position < order.size(); ++position) {
    TaskNode& node = graph.tasks()[order[position]];
    const Context ctx(0, clock.now(), node.index, node.id);
    Status status = guarded([&] { return node.impl->start(ctx); });
    if (!status.ok()) {
      report.failure = TaskFailure{node.id, 0, "start", std::string(status.message())};
      report.reason = StopReason::task_failed;
      stop_tasks(graph, clock, position, 0, report);
      return false;
    }
  }
  return true;
}

void stop_tasks(Graph& graph, const Clock& clock, size_t started, uint64_t last_id, RunReport& report) {
  for (size_t position = started; position-- > 0;) {
    TaskNode& node = graph.tasks()[graph.order()[position]];
    const Context ctx(last_id, clock.now(), node.index, node.id);
    Status status = guarded([&] { return node.impl->stop(ctx); });
    if (!status.ok()) report.stop_failures.push_back({node.id, last_id, "stop", std::string(status.message())});
  }
}

void record_failed_copperlist(CopperListPool& pool, CommitSink* sink, RunReport& report) {
  if (sink == nullptr || !report.failure || !report.failure->in_copperlist()) return;
  Status status = detail::guarded([&] { return sink->record_failure(pool.for_cycle(report.failure->cl_id), *report.failure); });
  if (!status.ok())
    report.stop_failures.push_back(TaskFailure{"", report.failure->cl_id, "commit",
                                               "recording the failed copperlist: " + std::string(status.message())});
}

}  // namespace copper::detail
