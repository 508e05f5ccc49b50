// Comparing a replay with its recording: each re-executed task checks its
// output on its worker (CheckedTask); the commit sink folds the checks into
// verdicts and output hashes, describes the first divergence and gathers
// timing.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
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

// Wraps a re-executed task that has an output: after each process() it
// encodes the output and checks it against the recorded bytes, on the
// worker that ran the task (postprocess is not part of the timed span), so
// parallel replay spreads that work instead of piling it on the commit.
// Everything else is forwarded.
class CheckedTask final : public TaskBase {
 public:
  CheckedTask(std::unique_ptr<TaskBase> task, RecordedFrames& frames, uint32_t slot, const MessageType& type)
      : task_(std::move(task)), frames_(frames), slot_(slot), type_(type) {}

  Status start(const Context& ctx) override { return task_->start(ctx); }
  Status preprocess(const Context& ctx) override { return task_->preprocess(ctx); }
  Status run(const Context& ctx, const void* const* inputs, void* output) override;
  Status postprocess(const Context& ctx) override;
  Status stop(const Context& ctx) override { return task_->stop(ctx); }
  bool freeze(std::vector<uint8_t>& out) const override { return task_->freeze(out); }
  Status thaw(std::span<const uint8_t> state) override { return task_->thaw(state); }

 private:
  std::unique_ptr<TaskBase> task_;
  RecordedFrames& frames_;
  uint32_t slot_;
  const MessageType& type_;
};

// Wraps every re-executed task with an output in a CheckedTask and binds
// every RecordedSource to the frames.
void bind_to_frames(Graph& graph, RecordedFrames& frames);

class Comparer final : public CommitSink {
 public:
  // `schemas` holds each slot's recorded schema; copperlists before
  // `compare_from` are replayed but not compared.
  Comparer(const Graph& graph, const RecordedFrames& frames, std::vector<nlohmann::json> schemas,
           uint64_t compare_from, ReplayOutcome& outcome);

  Status commit(const CopperList& cl) override;

 private:
  void describe_first(const CopperList& cl, uint32_t slot);

  const Graph& graph_;
  const RecordedFrames& frames_;
  std::vector<nlohmann::json> schemas_;
  std::vector<bool> from_source_;  // by slot: injected, nothing to compare
  uint64_t compare_from_;
  ReplayOutcome& outcome_;
  std::vector<bool> task_diverged_;  // this copperlist, by task
  std::vector<TaskRecord> spans_;
};

}  // namespace copper::replay
