#include <doctest/doctest.h>

#include <algorithm>
#include <random>

#include "copper/stats.hpp"

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
