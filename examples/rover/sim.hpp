// The simulated world the rover's sensors observe.
//
// Everything here is a pure function of (seed, simulated time): sources
// derive time from the copperlist id, never from a clock, so a run is
// reproducible bit for bit and a replay sees exactly what the recording saw.
//
// The rover drives a scripted ellipse around a walled room; the commands the
// planner sends do not steer it (the simulation is open loop), which keeps
// every sensor independent of every task and therefore of execution order.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <string>
#include <string_view>

#include "copper/params.hpp"

namespace rover::sim {

// The splitmix64 finaliser: a bijective 64-bit mixer, good enough to turn
// structured inputs (seed, salt, cycle) into independent-looking streams.
constexpr uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// splitmix64. Each (seed, sensor, cycle) gets its own stream so that a
// cycle's noise does not depend on how many numbers earlier cycles drew.
class Rng {
 public:
  Rng(uint64_t seed, uint64_t salt, uint64_t cycle) : state_(mix64(mix64(seed ^ salt) ^ cycle)) {}

  uint64_t next() {
    state_ += 0x9E3779B97F4A7C15ULL;
    return mix64(state_);
  }
  // [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  // Standard normal by Box-Muller; 1 - uniform() keeps log() away from 0.
  double normal() {
    const double radius = std::sqrt(-2.0 * std::log(1.0 - uniform()));
    return radius * std::cos(2.0 * std::numbers::pi * uniform());
  }

 private:
  uint64_t state_;
};

// Per-sensor salts, so sensors sharing a seed still draw unrelated noise.
inline constexpr uint64_t kSaltImu = 0x696d7500;
inline constexpr uint64_t kSaltOdometry = 0x6f646f6d;
inline constexpr uint64_t kSaltLidar = 0x6c696461;
inline constexpr uint64_t kSaltCamera = 0x63616d65;
inline constexpr uint64_t kSaltWorld = 0x776f726c;

// Room: walls at x = +-kRoomHalfX, y = +-kRoomHalfY.
inline constexpr double kRoomHalfX = 8.0;
inline constexpr double kRoomHalfY = 5.0;

// Route: x = a cos(w t), y = b sin(w t), counter-clockwise. At w = 0.1 rad/s
// the speed swings between 0.3 and 0.55 m/s and a lap takes about 63 s.
inline constexpr double kTrackA = 5.5;
inline constexpr double kTrackB = 3.0;
inline constexpr double kTrackRate = 0.1;

// Where the route starts (t = 0), so the pose estimator can default to it.
inline constexpr double kStartX = kTrackA;
inline constexpr double kStartY = 0.0;
inline constexpr double kStartTheta = std::numbers::pi / 2;

// The rover's true motion at one instant.
struct Truth {
  double x = 0, y = 0, theta = 0;
  double v = 0;      // forward speed, m/s
  double omega = 0;  // yaw rate, rad/s
  double accel = 0;  // forward acceleration, m/s^2
};

Truth truth_at(double t);

// The closest a wanderer's surface comes to the rover's centre, m.
inline constexpr double kPersonalSpace = 0.3;

// A disc-shaped object moving on a Lissajous path (a still one has zero
// amplitude): pillars and wandering obstacles alike.
struct Disc {
  double cx = 0, cy = 0;  // centre of the path
  double ax = 0, ay = 0;  // amplitude
  double fx = 0, fy = 0;  // angular frequency, rad/s
  double phase = 0;
  double radius = 0;
};

inline constexpr size_t kDiscCount = 5;

// Disc centres at one instant.
struct Snapshot {
  std::array<double, kDiscCount> x{};
  std::array<double, kDiscCount> y{};
};

// What a ray hit. surface: 0..3 the walls (+x, -x, +y, -y), 4.. the discs.
// u runs along the surface in metres, for texturing.
struct Hit {
  double distance = 0;
  int surface = 0;
  double u = 0;
};

class World {
 public:
  // The layout of pillars and obstacles is drawn from the seed.
  explicit World(uint64_t seed);

  // Disc centres at time t, given that the rover is where truth_at(t) says.
  Snapshot at(double t) const;
  const Disc& disc(size_t i) const { return discs_[i]; }

  // First surface along the ray from (px, py) at world angle `angle`. Discs
  // containing the origin are skipped, so a ray never starts inside one.
  Hit cast(const Snapshot& snapshot, double px, double py, double angle) const;

 private:
  std::array<Disc, kDiscCount> discs_{};
};

// Wraps to [-pi, pi).
inline double wrap_angle(double a) {
  a = std::fmod(a + std::numbers::pi, 2.0 * std::numbers::pi);
  if (a < 0) a += 2.0 * std::numbers::pi;
  return a - std::numbers::pi;
}

// Parameter helpers: a value out of range is a config error, reported with
// its JSON path like any other parameter problem.
[[noreturn]] void bad_param(const copper::Params& params, std::string_view name, const std::string& problem);

double param_real(copper::Params& params, std::string_view name, double fallback, double lo, double hi);
int64_t param_int(copper::Params& params, std::string_view name, int64_t fallback, int64_t lo, int64_t hi);

// Reads "rate_hz" and returns the period in ns; stamps are cycle * period.
int64_t period_ns(copper::Params& params);

inline int64_t stamp_of(uint64_t cycle, int64_t period) { return static_cast<int64_t>(cycle) * period; }
inline double seconds(int64_t ns) { return static_cast<double>(ns) * 1e-9; }

}  // namespace rover::sim
