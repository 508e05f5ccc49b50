#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "copper/copperlist.hpp"
#include "copper/stats.hpp"
#include "fixtures/graph_helpers.hpp"

using copper::LatencyHistogram;

TEST_CASE("stats.histogram.empty") {
  LatencyHistogram h;
  CHECK(h.count() == 0);
  CHECK(h.percentile(0.5) == 0);
  CHECK(h.max() == 0);
}

TEST_CASE("stats.histogram.small_values_are_exact") {
  LatencyHistogram h;
  for (int v = 0; v < 32; ++v) h.record(v);
  CHECK(h.percentile(0.5) == 15);
  CHECK(h.percentile(1.0) == 31);
  CHECK(h.min() == 0);
  CHECK(h.mean() == doctest::Approx(15.5));
}

TEST_CASE("stats.histogram.percentiles_within_relative_error") {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> dist(10.0, 1.5);
  std::vector<int64_t> values;
  LatencyHistogram h;
  for (int i = 0; i < 20000; ++i) {
    values.push_back(static_cast<int64_t>(dist(rng)));
    h.record(values.back());
  }
  std::sort(values.begin(), values.end());
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    const auto exact = static_cast<double>(values[static_cast<size_t>(q * static_cast<double>(values.size())) - 1]);
    const auto estimate = static_cast<double>(h.percentile(q));
    CHECK_MESSAGE(estimate >= exact, q);
    CHECK_MESSAGE(estimate <= exact * 1.04 + 1, q);
  }
  CHECK(h.max() == values.back());
}

TEST_CASE("stats.histogram.extremes") {
  LatencyHistogram h;
  h.record(-5);  // clock steps backwards are counted as zero, not lost
  h.record(INT64_MAX);
  CHECK(h.count() == 2);
  CHECK(h.min() == 0);
  CHECK(h.percentile(1.0) == INT64_MAX);
}

TEST_CASE("stats.regression.histogram_mean_of_extreme_values_never_overflows") {
  // A log's times are whatever its bytes say: copper-log stats printed a
  // negative mean once the int64 sum wrapped.
  LatencyHistogram h;
  for (int i = 0; i < 1000; ++i) h.record(INT64_MAX);
  h.record(INT64_MIN);  // counted as 0
  CHECK(h.count() == 1001);
  CHECK(h.mean() == doctest::Approx(static_cast<double>(INT64_MAX) * 1000.0 / 1001.0));
  CHECK(h.mean() > 0);
  LatencyHistogram small;
  for (int64_t v : {1, 2, 3, 10}) small.record(v);
  CHECK(small.mean() == 4.0);  // exact below 2^53
}

// Fleet replay merges segments' histograms: merging must give exactly the
// histogram of all the values, and parts() must survive a round trip.
TEST_CASE("stats.histogram.merge_equals_recording_every_value_in_one") {
  std::mt19937_64 random(17);
  std::uniform_int_distribution<int64_t> value(0, int64_t{1} << 40);
  LatencyHistogram a, b, all;
  for (int i = 0; i < 5000; ++i) {
    const int64_t v = value(random);
    (i % 3 ? a : b).record(v);
    all.record(v);
  }
  all.record(INT64_MAX);
  b.record(INT64_MAX);  // the 128-bit sum carries across the merge too
  LatencyHistogram merged = a;
  merged.merge(b);
  merged.merge(LatencyHistogram{});
  const auto got = merged.parts();
  const auto want = all.parts();
  CHECK(got.buckets == want.buckets);
  CHECK(got.count == want.count);
  CHECK(got.min == want.min);
  CHECK(got.max == want.max);
  CHECK(got.sum_low == want.sum_low);
  CHECK(got.sum_high == want.sum_high);
  CHECK(merged.mean() == all.mean());
  CHECK(merged.percentile(0.99) == all.percentile(0.99));

  auto rebuilt = LatencyHistogram::from_parts(want);
  REQUIRE(rebuilt.ok());
  CHECK(rebuilt->parts().buckets == want.buckets);
  CHECK(rebuilt->percentile(0.5) == all.percentile(0.5));
  CHECK(rebuilt->mean() == all.mean());
}

TEST_CASE("stats.histogram.from_parts_refuses_what_no_histogram_holds") {
  LatencyHistogram h;
  h.record(5);
  h.record(500);
  auto parts = h.parts();
  auto miscounted = parts;
  miscounted.count = 3;
  CHECK_FALSE(LatencyHistogram::from_parts(miscounted).ok());
  auto out_of_range = parts;
  out_of_range.buckets.emplace_back(LatencyHistogram::kBuckets, 1);
  out_of_range.count += 1;
  CHECK_FALSE(LatencyHistogram::from_parts(out_of_range).ok());
  auto inverted = parts;
  std::swap(inverted.min, inverted.max);
  CHECK_FALSE(LatencyHistogram::from_parts(inverted).ok());
}

TEST_CASE("stats.regression.elapsed_and_time_difference_saturate") {
  CHECK(copper::elapsed(INT64_MIN, INT64_MAX) == INT64_MAX);
  CHECK(copper::elapsed(10, 3) == 0);
  CHECK(copper::elapsed(-5, 7) == 12);
  CHECK(copper::time_difference(INT64_MAX, INT64_MIN) == -INT64_MAX);
  CHECK(copper::time_difference(7, -5) == -12);
  CHECK(copper::time_difference(-5, 7) == 12);
}

// fold_spans and TimingStats: copper's one definition of end-to-end latency
// (first start to last end over the tasks that ran) and the per-task
// process() durations, which the recorder's table, replay and copper-log
// stats all print.

namespace {

using copper::Nanos;
using copper::TaskSpan;
using copper::TaskStatus;

constexpr Nanos kUs = 1000;

// What fold_spans handed to record_task, in call order.
struct Folded {
  std::vector<std::pair<size_t, Nanos>> durations;
  LatencyHistogram end_to_end;
};

Folded fold(const std::vector<TaskSpan>& spans) {
  Folded out;
  copper::fold_spans(
      spans.size(), [&](size_t task) { return spans[task]; },
      [&](size_t task, Nanos duration) { out.durations.emplace_back(task, duration); }, out.end_to_end);
  return out;
}

// Five tasks in a chain (testing_tasks::kTextChainGraph), built once.
const copper::Graph& chain_graph() {
  static const testing_tasks::Built built = testing_tasks::build_graph(testing_tasks::kTextChainGraph);
  REQUIRE_MESSAGE(built.graph, built.diags.to_string());
  return *built.graph;
}

// Sets task `task`'s record in `cl`.
void set(copper::CopperList& cl, uint32_t task, Nanos start, Nanos end, TaskStatus status) {
  cl.record(task) = copper::TaskRecord{start, end, status};
}

}  // namespace

TEST_CASE("timing.stats.fold_spans_covers_first_start_to_last_end") {
  // Overlapping spans, as the parallel executor makes them: the earliest
  // start is not task 0's and the latest end is not the last task's.
  const Folded folded = fold({{500, 520, true}, {490, 495, true}, {530, 900, true}, {540, 560, true}});
  CHECK(folded.durations == std::vector<std::pair<size_t, Nanos>>{{0, 20}, {1, 5}, {2, 370}, {3, 20}});
  REQUIRE(folded.end_to_end.count() == 1);
  CHECK(folded.end_to_end.max() == 900 - 490);
}

TEST_CASE("timing.stats.regression.fold_spans_over_the_whole_int64_range") {
  const Folded folded = fold({{INT64_MIN, INT64_MAX, true}, {0, INT64_MAX, true}});
  CHECK(folded.durations == std::vector<std::pair<size_t, Nanos>>{{0, INT64_MAX}, {1, INT64_MAX}});
  CHECK(folded.end_to_end.max() == INT64_MAX);
}

TEST_CASE("timing.stats.fold_spans_skips_tasks_that_did_not_run") {
  // Task 1 did not finish: neither its duration nor its span counts, even
  // though its stale span reaches far outside the others.
  const Folded folded = fold({{100, 150, true}, {10, 10'000, false}, {160, 200, true}});
  CHECK(folded.durations == std::vector<std::pair<size_t, Nanos>>{{0, 50}, {2, 40}});
  REQUIRE(folded.end_to_end.count() == 1);
  CHECK(folded.end_to_end.max() == 200 - 100);

  // Nothing ran: no end-to-end figure at all (not a zero).
  const Folded none = fold({{100, 150, false}, {160, 200, false}});
  CHECK(none.durations.empty());
  CHECK(none.end_to_end.count() == 0);
}

TEST_CASE("timing.stats.collects_task_durations_and_end_to_end_per_copperlist") {
  const copper::Graph& graph = chain_graph();
  REQUIRE(graph.tasks().size() == 5);
  copper::TimingStats stats(graph);
  copper::CopperList cl(graph);

  // Copperlist 0: every task ran, one after another.
  cl.recycle(0, 0);
  cl.admitted = 1 * kUs;  // long before the first start: admission is not where end to end begins
  const Nanos spans0[5][2] = {{100, 150}, {160, 200}, {210, 260}, {270, 300}, {305, 400}};
  for (uint32_t t = 0; t < 5; ++t) set(cl, t, spans0[t][0] * kUs, spans0[t][1] * kUs, TaskStatus::ok);
  REQUIRE(stats.commit(cl).ok());

  // Copperlist 1: task 1 failed after a long call, tasks 2..4 never ran
  // (recycle cleared their records). A failed call counts in neither
  // figure, or its span would stretch end to end to 8000 us.
  cl.recycle(1, 0);
  set(cl, 0, 1000 * kUs, 1010 * kUs, TaskStatus::ok);
  set(cl, 1, 1020 * kUs, 9000 * kUs, TaskStatus::failed);
  REQUIRE(stats.commit(cl).ok());

  // Copperlist 2: nothing ran.
  cl.recycle(2, 0);
  REQUIRE(stats.commit(cl).ok());

  CHECK(stats.task(0).count() == 2);
  CHECK(stats.task(0).min() == 10 * kUs);
  CHECK(stats.task(0).max() == 50 * kUs);
  for (uint32_t t = 1; t < 5; ++t) {
    CAPTURE(t);
    CHECK(stats.task(t).count() == 1);
    CHECK(stats.task(t).max() == (spans0[t][1] - spans0[t][0]) * kUs);
  }
  CHECK(stats.end_to_end().count() == 2);
  CHECK(stats.end_to_end().max() == (400 - 100) * kUs);
  CHECK(stats.end_to_end().min() == (1010 - 1000) * kUs);
}

TEST_CASE("timing.stats.table_has_a_row_per_task_in_run_order_then_end_to_end") {
  const copper::Graph& graph = chain_graph();
  copper::TimingStats stats(graph);
  copper::CopperList cl(graph);
  // Task t runs for (t + 1) * 100 us, three copperlists long.
  for (uint64_t id = 0; id < 3; ++id) {
    cl.recycle(id, 0);
    Nanos at = static_cast<Nanos>(id) * 10'000 * kUs;
    for (uint32_t t = 0; t < 5; ++t, at += 1000 * kUs) set(cl, t, at, at + (t + 1) * 100 * kUs, TaskStatus::ok);
    REQUIRE(stats.commit(cl).ok());
  }
  std::istringstream table(stats.table());
  std::vector<std::vector<std::string>> rows;
  for (std::string line; std::getline(table, line);) {
    std::istringstream words(line);
    std::vector<std::string>& row = rows.emplace_back();
    for (std::string word; words >> word;) row.push_back(word);
  }
  INFO(stats.table());
  REQUIRE(rows.size() == 1 + 5 + 1);  // header, tasks, end to end
  CHECK(rows[0].front() == "task");
  for (size_t i = 0; i < 5; ++i) {
    const uint32_t task = graph.order()[i];
    const std::vector<std::string>& row = rows[1 + i];
    CAPTURE(task);
    REQUIRE(row.size() == 6);  // task, count, mean, p50, p99, max
    CHECK(row[0] == graph.tasks()[task].id);
    CHECK(row[1] == "3");
    // Every duration of this task was the same, so each figure is it, in us.
    for (size_t column = 2; column < 6; ++column)
      CHECK(std::stod(row[column]) == doctest::Approx(static_cast<double>((task + 1) * 100)).epsilon(0.001));
  }
  // "(end to end)" is three words; its count is after them.
  const std::vector<std::string>& last = rows.back();
  REQUIRE(last.size() == 8);
  CHECK(last[0] + " " + last[1] + " " + last[2] == "(end to end)");
  CHECK(last[3] == "3");
  // First start to last end: four 1000 us steps, then task 4's 500 us.
  CHECK(std::stod(last[7]) == doctest::Approx(4 * 1000 + 500).epsilon(0.001));
}
