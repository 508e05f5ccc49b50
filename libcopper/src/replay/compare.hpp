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

// Adds one copperlist's task spans (`span_of(task)`, stats.hpp's
// fold_spans) to a RunTiming.
template <class SpanOf>
void add_timing(RunTiming& timing, size_t tasks, SpanOf span_of) {
  fold_spans(
      std::min(tasks, timing.tasks.size()), span_of,
      [&](size_t task, Nanos duration) { timing.tasks[task].record(duration); }, timing.end_to_end);
  ++timing.copperlists;
}

// Wraps a re-executed task that has an output: after each process() it
// checks the output against the recorded bytes (without encoding it, unless
// it differs), on the worker that ran the task (postprocess is not part of
// the timed span), so parallel replay spreads that work instead of piling
// it on the commit. Everything else is forwarded.
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
};

}  // namespace copper::replay
