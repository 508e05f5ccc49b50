// Where a copperlist's timestamp comes from.
//
// Tasks never read a clock: the runtime stamps each copperlist once, from a
// Clock, and tasks see that stamp through their Context. Live runs use the
// monotonic clock; tests and replay drive a ManualClock.
#pragma once

#include <atomic>
#include <cstdint>

#include "copper/export.hpp"

namespace copper {

// Nanoseconds. Signed so that differences are safe.
using Nanos = int64_t;

class COPPER_API Clock {
 public:
  virtual ~Clock() = default;
  virtual Nanos now() const = 0;
};

// CLOCK_MONOTONIC: unaffected by wall-clock jumps (NTP, manual changes).
class COPPER_API MonotonicClock final : public Clock {
 public:
  Nanos now() const override;
};

// A clock that only moves when told to. Thread-safe so a test can advance it
// while the runtime reads it.
class COPPER_API ManualClock final : public Clock {
 public:
  explicit ManualClock(Nanos start = 0) : now_(start) {}
  Nanos now() const override { return now_.load(std::memory_order_acquire); }
  void set(Nanos t) { now_.store(t, std::memory_order_release); }
  void advance(Nanos dt) { now_.fetch_add(dt, std::memory_order_acq_rel); }

 private:
  std::atomic<Nanos> now_;
};

// The process-wide monotonic clock, for runtime bookkeeping (process
// start/end stamps), never for task logic.
COPPER_API Nanos monotonic_now();

// The same scale as monotonic_now(), read from the CPU's invariant
// timestamp counter where Linux says it has one (constant_tsc and
// nonstop_tsc): about 9 ns a read instead of about 20 for clock_gettime,
// which matters because the runtime stamps every task twice per cycle.
// Calibrated once against CLOCK_MONOTONIC on first use (about 10 ms); use it
// for durations, where its calibration error (a few ppm) is negligible.
// Falls back to monotonic_now() elsewhere.
COPPER_API Nanos fast_now();

// Sleeps until an absolute CLOCK_MONOTONIC deadline; absolute deadlines keep
// a rate-limited loop from drifting when one cycle runs late.
COPPER_API void sleep_until(Nanos deadline);

}  // namespace copper
