// rover/wheel_odometry: wheel encoders of the scripted rover.
#pragma once

#include <copper/task.hpp>
#include <copper/params.hpp>

#include "rover/messages.hpp"

namespace rover {

// Params: seed (42), rate_hz (100), wheel_radius (0.1 m), ticks_per_rev
// (1024), track_width (0.5 m), speed_noise (0.01 m/s), radius_error (0.01:
// the right wheel is 1% larger than nominal, the classic cause of odometry
// heading drift). Speeds and ticks are converted with the nominal radius,
// as a real driver would.
class WheelOdometrySim final : public copper::Source<WheelOdometry> {
 public:
  explicit WheelOdometrySim(copper::Params& params);
  copper::Status process(const copper::Context& ctx, WheelOdometry& out) override;

 private:
  // True distance rolled by each wheel up to `cycle`.
  void advance_to(uint64_t cycle);

  uint64_t seed_;
  int64_t period_ns_;
  double wheel_radius_;
  double ticks_per_rev_;
  double track_width_;
  double speed_noise_;
  double right_scale_;  // nominal / true radius of the right wheel

  // A cache, not state: the integral up to cycle n is a pure function of n,
  // recomputed from zero whenever cycles are asked for out of order.
  uint64_t cached_cycle_ = 0;
  double left_distance_ = 0;
  double right_distance_ = 0;
};

}  // namespace rover
