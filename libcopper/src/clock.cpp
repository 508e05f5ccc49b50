#include "copper/clock.hpp"

#include <cerrno>
#include <cstdint>
#include <ctime>
#include <fstream>
#include <string>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define COPPER_HAVE_TSC 1
#endif

namespace copper {

namespace {
constexpr Nanos kNanosPerSecond = 1'000'000'000;
}

Nanos monotonic_now() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<Nanos>(ts.tv_sec) * kNanosPerSecond + ts.tv_nsec;
}

Nanos MonotonicClock::now() const { return monotonic_now(); }

namespace {

#ifdef COPPER_HAVE_TSC
bool cpu_has_invariant_tsc() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("flags", 0) != 0) continue;
    auto has = [&](const char* flag) { return (line + " ").find(std::string(" ") + flag + " ") != std::string::npos; };
    return has("constant_tsc") && has("nonstop_tsc");
  }
  return false;
}

// 64x64->128-bit multiply for the tick conversion; __extension__ tells
// -Wpedantic this GNU type is intended.
__extension__ using uint128 = unsigned __int128;

// A TSC reading and the CLOCK_MONOTONIC time it was taken at: the counter
// read between two clock reads, the tightest bracket of a few tries, timed
// at its middle. A preemption between a lone pair of reads would skew the
// scale (0.1 ms in a 10 ms calibration is a 1% rate error).
struct PairedReading {
  uint64_t ticks = 0;
  Nanos ns = 0;
};

PairedReading paired_reading() {
  PairedReading best;
  Nanos best_width = INT64_MAX;
  for (int attempt = 0; attempt < 8; ++attempt) {
    const Nanos before = monotonic_now();
    const uint64_t ticks = __rdtsc();
    const Nanos after = monotonic_now();
    if (after - before < best_width) {
      best_width = after - before;
      best = {ticks, before + (after - before) / 2};
    }
  }
  return best;
}

// Maps TSC ticks to the CLOCK_MONOTONIC scale: ns = base_ns + ticks * mult >> 32.
struct TscScale {
  bool usable = false;
  uint64_t base_ticks = 0;
  Nanos base_ns = 0;
  uint64_t mult = 0;

  static TscScale calibrate() {
    TscScale scale;
    if (!cpu_has_invariant_tsc()) return scale;
    const PairedReading first = paired_reading();
    sleep_until(first.ns + 10'000'000);
    const PairedReading last = paired_reading();
    if (last.ticks <= first.ticks || last.ns <= first.ns) return scale;
    scale.usable = true;
    scale.base_ticks = first.ticks;
    scale.base_ns = first.ns;
    scale.mult = (static_cast<uint64_t>(last.ns - first.ns) << 32) / (last.ticks - first.ticks);
    return scale;
  }
};
#endif

}  // namespace

Nanos fast_now() {
#ifdef COPPER_HAVE_TSC
  static const TscScale scale = TscScale::calibrate();
  if (scale.usable) {
    const uint128 delta = __rdtsc() - scale.base_ticks;
    return scale.base_ns + static_cast<Nanos>((delta * scale.mult) >> 32);
  }
#endif
  return monotonic_now();
}

void sleep_until(Nanos deadline) {
  timespec ts{};
  ts.tv_sec = static_cast<time_t>(deadline / kNanosPerSecond);
  ts.tv_nsec = static_cast<long>(deadline % kNanosPerSecond);
  // A signal (SIGINT) interrupts the sleep with EINTR; return so the caller
  // can notice the stop request instead of sleeping on.
  clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr);
}

}  // namespace copper
