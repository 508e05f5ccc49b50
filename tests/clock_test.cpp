// The clocks: fast_now()'s TSC calibration against CLOCK_MONOTONIC, and
// sleep_until's absolute deadlines.
//
// Timing on a shared 2-core VM is noisy, so every check brackets each
// fast_now() read between two monotonic_now() reads and allows a margin far
// wider than scheduling noise but far narrower than the errors it guards
// against (a wrong scale factor is off by tens of percent or more; raw ticks
// or a wrapped 64-bit product are off by seconds).
#include <doctest/doctest.h>

#include "copper/clock.hpp"

using copper::fast_now;
using copper::monotonic_now;
using copper::Nanos;

namespace {

constexpr Nanos kMs = 1'000'000;

// One fast_now() read between two monotonic_now() reads.
struct Bracket {
  Nanos before;
  Nanos fast;
  Nanos after;
};

Bracket read_both() {
  Bracket b{};
  b.before = monotonic_now();
  b.fast = fast_now();
  b.after = monotonic_now();
  return b;
}

// How far the fast read lies outside its bracket (0 inside it).
Nanos distance_outside(const Bracket& b) {
  if (b.fast < b.before) return b.before - b.fast;
  if (b.fast > b.after) return b.fast - b.after;
  return 0;
}

// fast_now() promises monotonic_now()'s scale, up to the calibration error.
// That error grows with the time since calibration (a few ppm times the
// run's length, at most milliseconds in a test run); 250 ms is far above
// it and far below a regression's error.
constexpr Nanos kScaleTolerance = 250 * kMs;

}  // namespace

TEST_CASE("clock.fast_now.reads_on_the_monotonic_scale") {
  fast_now();  // the first call calibrates (about 10 ms); not what is measured here
  for (int i = 0; i < 5; ++i) {
    const Bracket b = read_both();
    CAPTURE(b.before);
    CAPTURE(b.fast);
    CAPTURE(b.after);
    CHECK(distance_outside(b) <= kScaleTolerance);
  }
}

TEST_CASE("clock.fast_now.measures_a_sleep_like_the_monotonic_clock") {
  fast_now();  // calibrated before the first bracket
  const Bracket start = read_both();
  copper::sleep_until(start.after + 50 * kMs);
  const Bracket end = read_both();
  const Nanos fast_elapsed = end.fast - start.fast;
  // The true elapsed time lies between the inner and outer bracket spans.
  const Nanos shortest = end.before - start.after;
  const Nanos longest = end.after - start.before;
  CAPTURE(fast_elapsed);
  CAPTURE(shortest);
  CAPTURE(longest);
  REQUIRE(shortest >= 50 * kMs);  // sleep_until did not return early
  // 5%: a calibration error of a few ppm (or even a preempted calibration
  // read) stays far inside; a tick rate mistaken by any real factor does not.
  CHECK(static_cast<double>(fast_elapsed) >= 0.95 * static_cast<double>(shortest));
  CHECK(static_cast<double>(fast_elapsed) <= 1.05 * static_cast<double>(longest));
}

// ticks * mult, with mult about 2^32 nanoseconds per tick, passes 2^64 once
// 2^32 ns (4.29 s) have gone by since calibration, whatever the TSC's rate:
// fast_now() computes it in 128 bits so that it does not wrap. This waits
// past that point (it costs five seconds, the only way to reach it) and
// checks the reading is still on the monotonic scale and still measures
// time at the monotonic rate.
TEST_CASE("clock.fast_now.stays_on_scale_past_2_pow_32_ns_after_calibration") {
  fast_now();  // calibrated now at the latest
  const Bracket start = read_both();
  copper::sleep_until(start.after + 5000 * kMs);
  const Bracket end = read_both();
  CAPTURE(start.fast);
  CAPTURE(end.before);
  CAPTURE(end.fast);
  CAPTURE(end.after);
  REQUIRE(end.before - start.after >= 5000 * kMs);
  CHECK(distance_outside(end) <= kScaleTolerance);
  const Nanos fast_elapsed = end.fast - start.fast;
  CHECK(static_cast<double>(fast_elapsed) >= 0.95 * static_cast<double>(end.before - start.after));
  CHECK(static_cast<double>(fast_elapsed) <= 1.05 * static_cast<double>(end.after - start.before));
}

TEST_CASE("clock.sleep_until.returns_no_earlier_than_the_deadline") {
  for (const Nanos wait : {Nanos{0}, 1 * kMs, 20 * kMs}) {
    CAPTURE(wait);
    const Nanos deadline = monotonic_now() + wait;
    copper::sleep_until(deadline);
    CHECK(monotonic_now() >= deadline);
  }
  // A deadline in the past returns at once (generously: within a second).
  const Nanos before = monotonic_now();
  copper::sleep_until(before - 1000 * kMs);
  CHECK(monotonic_now() - before < 1000 * kMs);
}
