#include "rover/obstacle_detector.hpp"

#include <algorithm>
#include <cmath>

#include <copper/registry.hpp>

#include "rover/sim.hpp"

namespace rover {

namespace {

// A run of continuous returns. Indexes may wrap past the end of the scan:
// it is a full circle.
struct Segment {
  size_t first = 0;
  size_t last = 0;
  size_t count = 0;  // returns, not counting bridged gaps
  size_t closest = 0;
};

}  // namespace

ObstacleDetector::ObstacleDetector(copper::Params& params)
    : range_min_(static_cast<float>(sim::param_real(params, "range_min", 0.05, 0.0, 100.0))),
      jump_(static_cast<float>(sim::param_real(params, "jump", 0.15, 0.0, 100.0))),
      jump_ratio_(static_cast<float>(sim::param_real(params, "jump_ratio", 0.05, 0.0, 10.0))),
      max_gap_(static_cast<size_t>(sim::param_int(params, "max_gap", 2, 0, 1000))),
      min_points_(static_cast<size_t>(sim::param_int(params, "min_points", 3, 1, 100000))),
      max_width_(static_cast<float>(sim::param_real(params, "max_width", 1.2, 0.0, 1000.0))),
      max_obstacles_(static_cast<size_t>(sim::param_int(params, "max_obstacles", 32, 1, 100000))) {}

copper::Status ObstacleDetector::process(const copper::Context&, const LidarScan& scan, Obstacles& out) {
  out.stamp_ns = scan.stamp_ns;
  out.nearest = scan.range_max;
  // Capacity survives the per-cycle reset, so this allocates once per slot
  // and push_back below never does.
  out.items.reserve(max_obstacles_);
  const std::vector<float>& r = scan.ranges;
  const size_t n = r.size();
  if (n < 3) return {};

  auto valid = [&](size_t i) { return r[i] >= range_min_; };
  auto close = [&](size_t a, size_t b) {
    return std::abs(r[a] - r[b]) <= jump_ + jump_ratio_ * std::min(r[a], r[b]);
  };
  // The nearest return within max_gap missing beams, in either direction, or
  // n. Bridging gaps keeps a single dropout from cutting a wall in two and
  // leaving a narrow piece of it that would pass for an obstacle.
  const size_t reach = std::min(max_gap_ + 1, n - 1);
  auto neighbour = [&](size_t i, bool forward) {
    for (size_t step = 1; step <= reach; ++step) {
      const size_t j = forward ? (i + step) % n : (i + n - step) % n;
      if (valid(j)) return j;
    }
    return n;
  };

  // Start the sweep at a break so that no segment straddles the start; an
  // unbroken circle of returns is a plain room with nothing in it.
  size_t start = n;
  for (size_t i = 0; i < n && start == n; ++i) {
    if (!valid(i)) continue;
    const size_t before = neighbour(i, false);
    if (before == n || !close(before, i)) start = i;
  }
  if (start == n) return {};

  const double increment = scan.angle_increment;
  auto emit = [&](const Segment& s) {
    if (s.count < min_points_) return;
    const double r1 = r[s.first];
    const double r2 = r[s.last];
    const double span = static_cast<double>((s.last + n - s.first) % n) * increment;
    const double width = std::sqrt(std::max(0.0, r1 * r1 + r2 * r2 - 2.0 * r1 * r2 * std::cos(span)));
    if (width > max_width_) return;
    // Something in front of its surroundings: no nearer return right beside
    // it. A piece of wall seen between two obstacles fails this.
    const size_t before = neighbour(s.first, false);
    const size_t after = neighbour(s.last, true);
    if ((before != n && r[before] < r[s.first]) || (after != n && r[after] < r[s.last])) return;
    const double bearing = static_cast<double>(scan.angle_min) + static_cast<double>(s.closest) * increment;
    const Obstacle found{r[s.closest], static_cast<float>(sim::wrap_angle(bearing)), static_cast<float>(width)};
    out.nearest = std::min(out.nearest, found.range);
    if (out.items.size() < max_obstacles_) {
      out.items.push_back(found);
      return;
    }
    // Full: the nearest obstacles matter most, so evict the farthest.
    auto farthest = std::max_element(out.items.begin(), out.items.end(),
                                     [](const Obstacle& a, const Obstacle& b) { return a.range < b.range; });
    if (found.range < farthest->range) *farthest = found;
  };

  Segment segment;
  size_t missing = 0;  // invalid beams since the segment's last return
  for (size_t k = 0; k < n; ++k) {
    const size_t i = (start + k) % n;
    if (!valid(i)) {
      ++missing;
      continue;
    }
    if (segment.count > 0 && missing <= max_gap_ && close(segment.last, i)) {
      segment.last = i;
      ++segment.count;
      if (r[i] < r[segment.closest]) segment.closest = i;
    } else {
      if (segment.count > 0) emit(segment);
      segment = Segment{i, i, 1, i};
    }
    missing = 0;
  }
  if (segment.count > 0) emit(segment);
  return {};
}

COPPER_REGISTER_TASK(ObstacleDetector, "rover/obstacle_detector");

}  // namespace rover
