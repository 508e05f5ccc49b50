// copper-log stats: per-task process time, per-slot message sizes and
// rates, end-to-end latency, over the recorded copperlists.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "copper/stats.hpp"
#include "session.hpp"

namespace copper::logtool {

struct StatsOptions {
  std::string log;
  ClRange range;
  bool json = false;
  bool follow = false;    // read the log as it is written (follow.hpp)
  bool terminal = false;  // --follow: stdout is a terminal (a table redrawn in place)
};

struct SlotSizes {
  std::string producer;
  uint64_t messages = 0;
  uint64_t bytes = 0;
  uint64_t min = 0, max = 0;
  LatencyHistogram sizes;  // for the median
};

struct LogStats {
  uint64_t copperlists = 0;
  std::optional<int64_t> first_time_ns, last_time_ns;  // copperlist times
  std::vector<std::string> task_ids;
  std::vector<LatencyHistogram> process;  // by task: end - start of ok runs
  std::vector<uint64_t> failed;           // by task
  std::vector<SlotSizes> slots;           // by slot
  LatencyHistogram end_to_end;            // first task start to last task end

  // Seconds of recorded time the copperlists cover (0 for fewer than two).
  double span_seconds() const;
};

// The log's tasks and slots, nothing counted yet; then one copperlist more.
LogStats empty_stats(const log::LogReader& reader);
void add_copperlist(LogStats& stats, const log::CopperListView& cl);

LogStats gather_stats(log::LogReader& reader, const ClRange& range);
nlohmann::json stats_json(const LogStats& stats);
std::string stats_text(const LogStats& stats);

// 0; 1 when the log cannot be opened.
int run_stats(const StatsOptions& options, Io io);

}  // namespace copper::logtool
