// Timing statistics that cost nothing to feed from the per-cycle path.
//
// LatencyHistogram is log-linear (32 sub-buckets per power of two, so any
// percentile is within about 3% of the truth) in a fixed array: recording
// a value is a few instructions and never allocates. Any int64 goes in
// (times read from a log are whatever its bytes say): negatives count as
// 0, and the sum behind the mean is 128 bits wide, so it never overflows.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "copper/export.hpp"
#include "copper/runtime.hpp"
#include "copper/status.hpp"

namespace copper {

class COPPER_API LatencyHistogram {
 public:
  void record(int64_t value);

  uint64_t count() const { return count_; }
  int64_t min() const { return count_ ? min_ : 0; }
  int64_t max() const { return count_ ? max_ : 0; }
  double mean() const;
  // q in [0, 1]; the upper edge of the bucket holding that rank, clamped to
  // the exact maximum.
  int64_t percentile(double q) const;

  // Adds every value `other` holds: the result is the histogram of both
  // sets of values, bucket for bucket (fleet replay merges segments so).
  void merge(const LatencyHistogram& other);

  // The histogram as plain numbers, for a report another process merges:
  // its non-empty buckets (index, count), and the exact count, min, max and
  // 128-bit sum. from_parts() rebuilds the same histogram, and refuses
  // parts no histogram could have (a bucket index out of range, counts
  // that do not add up, min above max).
  struct Parts {
    std::vector<std::pair<uint32_t, uint64_t>> buckets;
    uint64_t count = 0;
    int64_t min = 0;
    int64_t max = 0;
    uint64_t sum_low = 0;
    uint64_t sum_high = 0;
  };
  Parts parts() const;
  static Result<LatencyHistogram> from_parts(const Parts& parts);

  static constexpr int kSubBucketBits = 5;
  static constexpr int kSubBuckets = 1 << kSubBucketBits;
  static constexpr int kBuckets = (64 - kSubBucketBits + 1) * kSubBuckets;

 private:
  static size_t bucket_of(uint64_t value);
  static int64_t upper_edge(size_t bucket);

  std::array<uint64_t, kBuckets> buckets_{};
  uint64_t count_ = 0;
  int64_t min_ = INT64_MAX;
  int64_t max_ = 0;
  uint64_t sum_low_ = 0;   // the sum of the values recorded, modulo 2^64,
  uint64_t sum_high_ = 0;  // and its carries
};

// `to - from` for two times, clamped to [0, INT64_MAX]: the length of a
// span, never a signed overflow, whatever times a log holds.
inline Nanos elapsed(Nanos from, Nanos to) {
  if (to <= from) return 0;
  const uint64_t length = static_cast<uint64_t>(to) - static_cast<uint64_t>(from);  // exact: to > from
  return length > static_cast<uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<Nanos>(length);
}

// `to - from`, either sign, saturated to [-INT64_MAX, INT64_MAX].
inline Nanos time_difference(Nanos from, Nanos to) { return to >= from ? elapsed(from, to) : -elapsed(to, from); }

// One task's span in one copperlist: process() start and end, and whether
// it ran to the end (status ok).
struct TaskSpan {
  Nanos start = 0;
  Nanos end = 0;
  bool ran = false;
};

// Folds one copperlist's spans (tasks 0..tasks-1, `span_of(task)`) into
// timing figures: each task that ran gives `record_task(task, end - start)`,
// and the copperlist's end-to-end latency, from the first start to the last
// end over those tasks, goes into `end_to_end`. copper's one definition of
// end-to-end latency: the recorder's table, replay, copper-log stats and
// diff all fold through here, so their figures compare.
template <class SpanOf, class RecordTask>
void fold_spans(size_t tasks, SpanOf span_of, RecordTask record_task, LatencyHistogram& end_to_end) {
  Nanos first = INT64_MAX, last = INT64_MIN;
  for (size_t task = 0; task < tasks; ++task) {
    const TaskSpan span = span_of(task);
    if (!span.ran) continue;
    record_task(task, elapsed(span.start, span.end));
    first = span.start < first ? span.start : first;
    last = span.end > last ? span.end : last;
  }
  if (first <= last) end_to_end.record(elapsed(first, last));
}

// A commit sink that collects each task's process() duration and each
// copperlist's end-to-end latency (fold_spans).
class COPPER_API TimingStats final : public CommitSink {
 public:
  explicit TimingStats(const Graph& graph);
  Status commit(const CopperList& cl) override;

  const LatencyHistogram& task(size_t index) const { return per_task_[index]; }
  const LatencyHistogram& end_to_end() const { return end_to_end_; }
  // A fixed-width table: task, count, mean, p50, p99, max (microseconds).
  std::string table() const;

 private:
  const Graph& graph_;
  std::vector<LatencyHistogram> per_task_;
  LatencyHistogram end_to_end_;
};

}  // namespace copper
