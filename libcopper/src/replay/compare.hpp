// The replay's commit sink: compares every replayed output with the
// recorded one, hashes each copperlist's outputs, and gathers timing.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

#include "copper/replay.hpp"
#include "recorded.hpp"

namespace copper::replay {

// Adds one copperlist's task spans to a RunTiming (first start to last end
// is its end-to-end latency). Tasks that did not run are left out.
template <class Spans, class StartOf, class EndOf, class RanOf>
void add_timing(RunTiming& timing, const Spans& spans, StartOf start_of, EndOf end_of, RanOf ran) {
  Nanos first = INT64_MAX, last = INT64_MIN;
  for (size_t task = 0; task < spans.size() && task < timing.tasks.size(); ++task) {
    if (!ran(spans[task])) continue;
    timing.tasks[task].record(end_of(spans[task]) - start_of(spans[task]));
    first = std::min(first, start_of(spans[task]));
    last = std::max(last, end_of(spans[task]));
  }
  if (first <= last) timing.end_to_end.record(last - first);
  ++timing.copperlists;
}

class Comparer final : public CommitSink {
 public:
  // `schemas` holds each slot's recorded schema; copperlists before
  // `compare_from` are replayed but not compared.
  Comparer(const Graph& graph, const RecordedFrames& frames, std::vector<nlohmann::json> schemas,
           uint64_t compare_from, ReplayOutcome& outcome);

  Status commit(const CopperList& cl) override;

 private:
  bool compare_slot(const CopperList& cl, uint32_t slot, uint64_t replayed_hash);
  void describe_first(const CopperList& cl, uint32_t slot);

  const Graph& graph_;
  const RecordedFrames& frames_;
  std::vector<nlohmann::json> schemas_;
  std::vector<bool> from_source_;  // by slot: injected, nothing to compare
  uint64_t compare_from_;
  ReplayOutcome& outcome_;
  std::vector<uint8_t> scratch_;
  std::vector<bool> task_diverged_;  // this copperlist, by task
  std::vector<TaskRecord> spans_;
};

}  // namespace copper::replay
