#include "copper/stats.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cmath>

namespace copper {

size_t LatencyHistogram::bucket_of(uint64_t value) {
  if (value < static_cast<uint64_t>(kSubBuckets)) return static_cast<size_t>(value);
  // Values in [2^e, 2^(e+1)) share one row of kSubBuckets linear buckets.
  const int exponent = 63 - std::countl_zero(value);
  const int shift = exponent - kSubBucketBits;
  const uint64_t sub = (value >> shift) & (kSubBuckets - 1);
  return static_cast<size_t>(shift + 1) * kSubBuckets + static_cast<size_t>(sub);
}

int64_t LatencyHistogram::upper_edge(size_t bucket) {
  if (bucket < static_cast<size_t>(kSubBuckets)) return static_cast<int64_t>(bucket);
  const size_t shift = bucket / kSubBuckets - 1;
  const uint64_t sub = bucket % kSubBuckets;
  const uint64_t low = (static_cast<uint64_t>(kSubBuckets) + sub) << shift;
  const uint64_t high = low + (uint64_t{1} << shift) - 1;
  return high > static_cast<uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<int64_t>(high);
}

void LatencyHistogram::record(int64_t value) {
  value = std::max<int64_t>(value, 0);
  ++buckets_[bucket_of(static_cast<uint64_t>(value))];
  ++count_;
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
  sum_low_ += static_cast<uint64_t>(value);
  sum_high_ += sum_low_ < static_cast<uint64_t>(value) ? 1 : 0;
}

double LatencyHistogram::mean() const {
  if (count_ == 0) return 0.0;
  const double sum = std::ldexp(static_cast<double>(sum_high_), 64) + static_cast<double>(sum_low_);
  return sum / static_cast<double>(count_);
}

int64_t LatencyHistogram::percentile(double q) const {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  const auto rank = std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_))));
  uint64_t seen = 0;
  for (size_t i = 0; i < buckets_.size(); ++i) {
    seen += buckets_[i];
    if (seen >= rank) return std::clamp(upper_edge(i), min_, max_);
  }
  return max_;
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  if (other.count_ == 0) return;
  for (size_t i = 0; i < buckets_.size(); ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  sum_low_ += other.sum_low_;
  sum_high_ += other.sum_high_ + (sum_low_ < other.sum_low_ ? 1 : 0);
}

LatencyHistogram::Parts LatencyHistogram::parts() const {
  Parts parts{{}, count_, min(), max(), sum_low_, sum_high_};
  for (size_t i = 0; i < buckets_.size(); ++i)
    if (buckets_[i] != 0) parts.buckets.emplace_back(static_cast<uint32_t>(i), buckets_[i]);
  return parts;
}

Result<LatencyHistogram> LatencyHistogram::from_parts(const Parts& parts) {
  LatencyHistogram h;
  uint64_t total = 0;
  for (const auto& [bucket, count] : parts.buckets) {
    if (bucket >= h.buckets_.size()) return Status::invalid_argument(fmt::format("bucket {} is out of range", bucket));
    h.buckets_[bucket] += count;
    total += count;
  }
  if (total != parts.count)
    return Status::invalid_argument(fmt::format("the buckets hold {} values, the count says {}", total, parts.count));
  if (parts.count > 0 && (parts.min < 0 || parts.min > parts.max))
    return Status::invalid_argument(fmt::format("min {} and max {} do not bound any values", parts.min, parts.max));
  h.count_ = parts.count;
  if (parts.count > 0) {
    h.min_ = parts.min;
    h.max_ = parts.max;
  }
  h.sum_low_ = parts.sum_low;
  h.sum_high_ = parts.sum_high;
  return h;
}

TimingStats::TimingStats(const Graph& graph) : graph_(graph), per_task_(graph.tasks().size()) {}

Status TimingStats::commit(const CopperList& cl) {
  fold_spans(
      per_task_.size(),
      [&](size_t task) {
        const TaskRecord& record = cl.record(static_cast<uint32_t>(task));
        return TaskSpan{record.start, record.end, record.status == TaskStatus::ok};
      },
      [&](size_t task, Nanos duration) { per_task_[task].record(duration); }, end_to_end_);
  return {};
}

std::string TimingStats::table() const {
  auto micros = [](double ns) { return ns / 1000.0; };
  std::string out = fmt::format("{:<22} {:>9} {:>10} {:>10} {:>10} {:>10}\n", "task", "count", "mean us",
                                "p50 us", "p99 us", "max us");
  auto row = [&](const std::string& name, const LatencyHistogram& h) {
    out += fmt::format("{:<22} {:>9} {:>10.2f} {:>10.2f} {:>10.2f} {:>10.2f}\n", name, h.count(), micros(h.mean()),
                       micros(static_cast<double>(h.percentile(0.5))), micros(static_cast<double>(h.percentile(0.99))),
                       micros(static_cast<double>(h.max())));
  };
  for (uint32_t index : graph_.order()) row(graph_.tasks()[index].id, per_task_[index]);
  row("(end to end)", end_to_end_);
  return out;
}

}  // namespace copper
