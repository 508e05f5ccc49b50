#include "copper/clock.hpp"

#include <cerrno>
#include <ctime>

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

void sleep_until(Nanos deadline) {
  timespec ts{};
  ts.tv_sec = static_cast<time_t>(deadline / kNanosPerSecond);
  ts.tv_nsec = static_cast<long>(deadline % kNanosPerSecond);
  // A signal (SIGINT) interrupts the sleep with EINTR; return so the caller
  // can notice the stop request instead of sleeping on.
  clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr);
}

}  // namespace copper
