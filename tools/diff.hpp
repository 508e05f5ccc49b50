// copper-log diff: compares two logs copperlist by copperlist through their
// schemas and names the first divergence (copperlist, task, field, values).
// By default only what the tasks computed counts (messages, task status),
// so two recordings of a deterministic graph compare equal; --timing also
// compares copperlist times and times of validity, and puts the process
// timings side by side.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "copper/stats.hpp"
#include "session.hpp"

namespace copper::logtool {

struct DiffOptions {
  std::string a;
  std::string b;
  bool timing = false;
  bool json = false;
};

struct LogDivergence {
  uint64_t cl_id = 0;
  std::string task;   // the producer of the slot; "-" for the copperlist itself
  std::string field;  // "time_ns", "time_of_validity_ns", "status", "copperlist", or a message field path
  nlohmann::json a;
  nlohmann::json b;
};

struct TaskTimings {
  std::map<std::string, LatencyHistogram> tasks;  // process time, by task id
  LatencyHistogram end_to_end;                    // first start to last end
};

struct DiffResult {
  std::vector<std::string> graph_differences;
  uint64_t compared = 0;   // copperlists present in both
  uint64_t differing = 0;  // of those, with at least one difference
  uint64_t only_a = 0, only_b = 0;
  std::map<std::string, uint64_t> per_task;  // copperlists where the task's output differs
  std::optional<LogDivergence> first;
  TaskTimings timing_a, timing_b;  // filled with --timing

  bool same() const { return graph_differences.empty() && differing == 0 && only_a == 0 && only_b == 0; }
};

DiffResult diff_logs(log::LogReader& a, log::LogReader& b, bool timing);
std::string diff_text(const DiffResult& result, const DiffOptions& options);
nlohmann::json diff_json(const DiffResult& result, const DiffOptions& options);

// 0 same, 1 different, 2 a log cannot be read.
int run_diff(const DiffOptions& options, Io io);

}  // namespace copper::logtool
