// copper-log trace: the recorded task process spans as Chrome trace-event
// JSON (Perfetto UI, chrome://tracing): one track per task, flow arrows
// linking the spans of one copperlist, overlapping copperlists visible as
// parallel spans.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>

#include "session.hpp"

namespace copper::logtool {

struct TraceOptions {
  std::string log;
  std::string output;
  ClRange range;
};

struct TraceCounts {
  uint64_t copperlists = 0;
  uint64_t spans = 0;
  uint64_t flows = 0;
};

// Timestamps are microseconds (the format's unit) from the first span of
// the log, printed from integer nanoseconds with three decimals: exact.
TraceCounts write_trace(log::LogReader& reader, const ClRange& range, std::ostream& out);

// 0; 1 when the log cannot be opened or the output written.
int run_trace(const TraceOptions& options, Io io);

}  // namespace copper::logtool
