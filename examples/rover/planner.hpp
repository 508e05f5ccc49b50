// rover/planner: turns pose, obstacles and image features into wheel speeds.
#pragma once

#include <array>
#include <vector>

#include <copper/task.hpp>
#include <copper/params.hpp>

#include "rover/messages.hpp"

namespace rover {

struct PlannerState {
  bool initialized = false;
  int64_t last_stamp_ns = 0;
  uint32_t waypoint = 0;    // index of the waypoint being driven to
  uint32_t stop_hold = 0;   // cycles the emergency stop stays latched
  double left_mps = 0;      // last commanded wheel speeds, for rate limiting
  double right_mps = 0;
  uint64_t waypoints_reached = 0;
  uint64_t emergency_stops = 0;
};
BOOST_DESCRIBE_STRUCT(PlannerState, (),
                      (initialized, last_stamp_ns, waypoint, stop_hold, left_mps, right_mps, waypoints_reached,
                       emergency_stops))

// Steers toward a cyclic list of waypoints (proportional on heading error),
// slows for obstacles in the driving corridor and stops hard, latched for a
// while, for one closer than stop_distance. The camera's edge densities
// nudge it away from the more cluttered side and slow it in clutter.
// Wheel speeds are rate limited so commands stay smooth.
//
// Inputs: "pose" (rover::Pose2D), "obstacles" (rover::Obstacles),
// "features" (rover::ImageFeatures).
// Params: waypoints (flat [x0, y0, x1, y1, ...], default: eight points on
// the simulated route), waypoint_radius (1.0 m), cruise_speed (0.4 m/s),
// max_omega (0.8 rad/s), heading_gain (1.5), track_width (0.5 m),
// corridor (0.45 m half width), stop_distance (0.35 m), slow_distance
// (1.5 m), stop_hold (20 cycles), max_accel (0.8 m/s^2), feature_gain (0.3),
// clutter_slowdown (0.5).
class Planner final : public copper::Task<MotorCommand, Pose2D, Obstacles, ImageFeatures> {
 public:
  static constexpr std::array<std::string_view, 3> input_names{"pose", "obstacles", "features"};

  explicit Planner(copper::Params& params);
  copper::Status process(const copper::Context& ctx, const Pose2D& pose, const Obstacles& obstacles,
                         const ImageFeatures& features, MotorCommand& out) override;
  bool freeze(std::vector<uint8_t>& out) const override;
  copper::Status thaw(std::span<const uint8_t> bytes) override;

  const PlannerState& state() const { return state_; }

 private:
  // Forward distance to the closest obstacle inside the driving corridor.
  double corridor_clearance(const Obstacles& obstacles) const;

  std::vector<double> waypoints_;  // x0, y0, x1, y1, ...
  double waypoint_radius_;
  double cruise_speed_;
  double max_omega_;
  double heading_gain_;
  double track_width_;
  double corridor_;
  double stop_distance_;
  double slow_distance_;
  uint32_t stop_hold_;
  double max_accel_;
  double feature_gain_;
  double clutter_slowdown_;
  PlannerState state_;
};

}  // namespace rover
