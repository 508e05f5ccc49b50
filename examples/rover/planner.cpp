#include "rover/planner.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include <copper/registry.hpp>

#include "rover/sim.hpp"

namespace rover {

namespace {

std::vector<double> route_waypoints() {
  std::vector<double> points;
  for (int k = 0; k < 8; ++k) {
    const double phi = k * std::numbers::pi / 4;
    points.push_back(sim::kTrackA * std::cos(phi));
    points.push_back(sim::kTrackB * std::sin(phi));
  }
  return points;
}

}  // namespace

Planner::Planner(copper::Params& params)
    : waypoints_(params.get_or<std::vector<double>>("waypoints", route_waypoints())),
      waypoint_radius_(sim::param_real(params, "waypoint_radius", 1.0, 0.01, 100.0)),
      cruise_speed_(sim::param_real(params, "cruise_speed", 0.4, 0.0, 10.0)),
      max_omega_(sim::param_real(params, "max_omega", 0.8, 0.0, 10.0)),
      heading_gain_(sim::param_real(params, "heading_gain", 1.5, 0.0, 100.0)),
      track_width_(sim::param_real(params, "track_width", 0.5, 0.05, 5.0)),
      corridor_(sim::param_real(params, "corridor", 0.45, 0.0, 10.0)),
      stop_distance_(sim::param_real(params, "stop_distance", 0.35, 0.0, 100.0)),
      slow_distance_(sim::param_real(params, "slow_distance", 1.5, 0.0, 100.0)),
      stop_hold_(static_cast<uint32_t>(sim::param_int(params, "stop_hold", 20, 0, 1000000))),
      max_accel_(sim::param_real(params, "max_accel", 0.8, 0.0, 100.0)),
      feature_gain_(sim::param_real(params, "feature_gain", 0.3, -10.0, 10.0)),
      clutter_slowdown_(sim::param_real(params, "clutter_slowdown", 0.5, 0.0, 1.0)) {
  if (waypoints_.size() < 2 || waypoints_.size() % 2 != 0)
    sim::bad_param(params, "waypoints", "must hold x, y pairs, at least one");
  if (!(slow_distance_ > stop_distance_)) sim::bad_param(params, "slow_distance", "must exceed stop_distance");
}

double Planner::corridor_clearance(const Obstacles& obstacles) const {
  double clearance = slow_distance_;
  for (const Obstacle& o : obstacles.items) {
    const double ahead = o.range * std::cos(o.bearing);
    const double aside = o.range * std::sin(o.bearing);
    if (ahead > 0 && std::abs(aside) < corridor_ + 0.5 * o.width) clearance = std::min(clearance, ahead);
  }
  return clearance;
}

copper::Status Planner::process(const copper::Context&, const Pose2D& pose, const Obstacles& obstacles,
                                const ImageFeatures& features, MotorCommand& out) {
  double dt = 0;
  if (state_.initialized) {
    if (pose.stamp_ns <= state_.last_stamp_ns)
      return copper::Status::error(fmt::format("pose stamp {} does not advance past {}: inputs out of order",
                                               pose.stamp_ns, state_.last_stamp_ns));
    dt = sim::seconds(pose.stamp_ns - state_.last_stamp_ns);
  }
  state_.initialized = true;
  state_.last_stamp_ns = pose.stamp_ns;

  const size_t count = waypoints_.size() / 2;
  if (state_.waypoint >= count) state_.waypoint = 0;
  double dx = waypoints_[2 * state_.waypoint] - pose.x;
  double dy = waypoints_[2 * state_.waypoint + 1] - pose.y;
  double error = sim::wrap_angle(std::atan2(dy, dx) - pose.theta);
  // A waypoint counts as reached when close, or when nearly close and
  // already behind: a drifting estimate may never get within the radius.
  const double distance = std::hypot(dx, dy);
  if (distance < waypoint_radius_ ||
      (distance < 2 * waypoint_radius_ && std::abs(error) > std::numbers::pi / 2)) {
    state_.waypoint = static_cast<uint32_t>((state_.waypoint + 1) % count);
    ++state_.waypoints_reached;
    dx = waypoints_[2 * state_.waypoint] - pose.x;
    dy = waypoints_[2 * state_.waypoint + 1] - pose.y;
    error = sim::wrap_angle(std::atan2(dy, dx) - pose.theta);
  }

  double omega = std::clamp(heading_gain_ * error, -max_omega_, max_omega_);
  double v = cruise_speed_ * std::max(0.0, std::cos(error));
  // More edges on one side means more stuff there: lean the other way.
  omega += feature_gain_ * static_cast<double>(features.right_density - features.left_density);
  v *= 1.0 - clutter_slowdown_ * std::clamp(static_cast<double>(features.center_density), 0.0, 1.0);

  const double clearance = corridor_clearance(obstacles);
  if (clearance < stop_distance_) {
    if (state_.stop_hold == 0) ++state_.emergency_stops;
    state_.stop_hold = std::max<uint32_t>(stop_hold_, 1);
  }
  v *= std::clamp((clearance - stop_distance_) / (slow_distance_ - stop_distance_), 0.0, 1.0);

  out.stamp_ns = pose.stamp_ns;
  if (state_.stop_hold > 0) {
    --state_.stop_hold;
    state_.left_mps = state_.right_mps = 0;
    out.emergency_stop = true;
  } else {
    const double step = max_accel_ * dt;
    const double left = v - 0.5 * omega * track_width_;
    const double right = v + 0.5 * omega * track_width_;
    state_.left_mps += std::clamp(left - state_.left_mps, -step, step);
    state_.right_mps += std::clamp(right - state_.right_mps, -step, step);
  }
  out.left_mps = state_.left_mps;
  out.right_mps = state_.right_mps;
  return {};
}

bool Planner::freeze(std::vector<uint8_t>& out) const { return copper::freeze_state(state_, out); }

copper::Status Planner::thaw(std::span<const uint8_t> bytes) {
  PlannerState restored;
  copper::Status status = copper::decode(bytes, restored);
  if (!status.ok()) return status;
  // A keyframe from a run with a longer waypoint list would index past ours.
  if (restored.waypoint >= waypoints_.size() / 2)
    return copper::Status::error(fmt::format("frozen waypoint {} is beyond the {} configured", restored.waypoint,
                                             waypoints_.size() / 2));
  state_ = restored;
  return {};
}

COPPER_REGISTER_TASK(Planner, "rover/planner");

}  // namespace rover
