#include "rover/sim.hpp"

#include <fmt/format.h>

#include <limits>

namespace rover::sim {

Truth truth_at(double t) {
  constexpr double a = kTrackA, b = kTrackB, w = kTrackRate;
  const double s = std::sin(w * t);
  const double c = std::cos(w * t);
  const double dx = -a * w * s;
  const double dy = b * w * c;
  Truth truth;
  truth.x = a * c;
  truth.y = b * s;
  truth.v = std::hypot(dx, dy);
  truth.theta = std::atan2(dy, dx);
  // Closed forms for an ellipse: yaw rate = a b w^3 / v^2, and the speed's
  // derivative follows from d(v^2)/dt = 2 w^3 s c (a^2 - b^2).
  truth.omega = a * b * w * w * w / (truth.v * truth.v);
  truth.accel = w * w * w * s * c * (a * a - b * b) / truth.v;
  return truth;
}

World::World(uint64_t seed) {
  Rng rng(seed, kSaltWorld, 0);
  auto between = [&rng](double lo, double hi) { return lo + (hi - lo) * rng.uniform(); };
  // A pillar inside the ellipse and one in a corner: both clear of the
  // route, so they show up in scans without ever being driven through.
  discs_[0] = {between(-1.5, 1.5), between(-0.8, 0.8), 0, 0, 0, 0, 0, between(0.35, 0.5)};
  const double corner_x = rng.uniform() < 0.5 ? -7.0 : 7.0;
  const double corner_y = rng.uniform() < 0.5 ? -4.0 : 4.0;
  discs_[1] = {corner_x, corner_y, 0, 0, 0, 0, 0, 0.3};
  // Wanderers: their paths stay inside the room but may cross the route.
  for (size_t i = 2; i < kDiscCount; ++i) {
    Disc& d = discs_[i];
    d.cx = between(-5.0, 5.0);
    d.cy = between(-2.5, 2.5);
    d.ax = between(0.5, 2.5);
    d.ay = between(0.5, 2.0);
    d.fx = between(0.05, 0.25);
    d.fy = between(0.05, 0.25);
    d.phase = between(0.0, 2.0 * std::numbers::pi);
    d.radius = between(0.15, 0.35);
  }
}

Snapshot World::at(double t) const {
  const Truth rover = truth_at(t);
  Snapshot snapshot;
  for (size_t i = 0; i < kDiscCount; ++i) {
    const Disc& d = discs_[i];
    double x = d.cx + d.ax * std::sin(d.fx * t + d.phase);
    double y = d.cy + d.ay * std::cos(d.fy * t + d.phase);
    // The route ignores obstacles, so wanderers step aside instead, like
    // people do: pushed radially out to kPersonalSpace from the rover's
    // centre. Close enough to trip the planner's emergency stop, never
    // overlapping the rover (which would blind the lidar in odd ways).
    const double dx = x - rover.x;
    const double dy = y - rover.y;
    const double keep = d.radius + kPersonalSpace;
    const double gap = std::hypot(dx, dy);
    if (gap < keep) {
      const double scale = gap > 1e-9 ? keep / gap : 0.0;
      x = gap > 1e-9 ? rover.x + dx * scale : rover.x + keep;
      y = gap > 1e-9 ? rover.y + dy * scale : rover.y;
    }
    snapshot.x[i] = x;
    snapshot.y[i] = y;
  }
  return snapshot;
}

Hit World::cast(const Snapshot& snapshot, double px, double py, double angle) const {
  const double c = std::cos(angle);
  const double s = std::sin(angle);
  constexpr double kFar = std::numeric_limits<double>::max();
  // The origin is always inside the room, so exactly one wall of each pair
  // lies ahead along each axis the ray moves on.
  const double tx = c > 0 ? (kRoomHalfX - px) / c : c < 0 ? (-kRoomHalfX - px) / c : kFar;
  const double ty = s > 0 ? (kRoomHalfY - py) / s : s < 0 ? (-kRoomHalfY - py) / s : kFar;
  Hit hit;
  if (tx < ty) {
    hit = {tx, c > 0 ? 0 : 1, py + tx * s};
  } else {
    hit = {ty, s > 0 ? 2 : 3, px + ty * c};
  }
  for (size_t i = 0; i < kDiscCount; ++i) {
    const double ox = px - snapshot.x[i];
    const double oy = py - snapshot.y[i];
    const double r = discs_[i].radius;
    const double b = ox * c + oy * s;
    const double cc = ox * ox + oy * oy - r * r;
    if (cc <= 0) continue;
    const double discriminant = b * b - cc;
    if (discriminant < 0) continue;
    const double t = -b - std::sqrt(discriminant);
    if (t <= 0 || t >= hit.distance) continue;
    const double hx = ox + t * c;
    const double hy = oy + t * s;
    hit = {t, 4 + static_cast<int>(i), std::atan2(hy, hx) * r};
  }
  return hit;
}

void bad_param(const copper::Params& params, std::string_view name, const std::string& problem) {
  throw copper::ParamError(params.path() + "." + std::string(name), problem);
}

double param_real(copper::Params& params, std::string_view name, double fallback, double lo, double hi) {
  const double value = params.get_or<double>(name, fallback);
  if (!(value >= lo && value <= hi)) bad_param(params, name, fmt::format("must be in [{}, {}], got {}", lo, hi, value));
  return value;
}

int64_t param_int(copper::Params& params, std::string_view name, int64_t fallback, int64_t lo, int64_t hi) {
  const int64_t value = params.get_or<int64_t>(name, fallback);
  if (value < lo || value > hi) bad_param(params, name, fmt::format("must be in [{}, {}], got {}", lo, hi, value));
  return value;
}

int64_t period_ns(copper::Params& params) {
  // Up to 1 MHz keeps the period at 1000 ns or more, so stamps stay
  // strictly increasing and far from int64 overflow.
  const double rate = param_real(params, "rate_hz", 100.0, 1e-3, 1e6);
  return std::llround(1e9 / rate);
}

}  // namespace rover::sim
