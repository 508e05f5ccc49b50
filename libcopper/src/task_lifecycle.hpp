// Starting and stopping every task of a graph: shared by every executor, so
// the order (start in topological order, stop in reverse) and the failure
// handling are the same everywhere.
#pragma once

#include <cstddef>
#include <cstdint>

#include "copper/clock.hpp"
#include "copper/copperlist.hpp"
#include "copper/graph.hpp"
#include "copper/runtime.hpp"

namespace copper::detail {

// Calls start() in topological order (sensors before the tasks reading
// them). On a failure, stops the tasks already started, fills the report and
// returns false.
bool start_tasks(Graph& graph, const Clock& clock, RunReport& report);

// Calls stop() on the first `started` tasks of the topological order, in
// reverse, so actuators stop before the tasks feeding them; every one is
// stopped even if another fails, and each failure lands in the report.
void stop_tasks(Graph& graph, const Clock& clock, size_t started, uint64_t last_id, RunReport& report);

// Hands the failing copperlist to the sink (CommitSink::record_failure)
// when the run stopped on a task failing inside one; an error from the sink
// is added to the report's stop failures. Call it once the run's workers
// are done, before stop_tasks.
void record_failed_copperlist(CopperListPool& pool, CommitSink* sink, RunReport& report);

}  // namespace copper::detail
