#include "rover/wheel_odometry.hpp"

#include <copper/registry.hpp>

#include "rover/sim.hpp"

namespace rover {

namespace {

struct WheelSpeeds {
  double left = 0;
  double right = 0;
};

WheelSpeeds true_wheel_speeds(double t, double track_width) {
  const sim::Truth truth = sim::truth_at(t);
  return {truth.v - truth.omega * track_width / 2, truth.v + truth.omega * track_width / 2};
}

}  // namespace

WheelOdometrySim::WheelOdometrySim(copper::Params& params)
    : seed_(params.get_or<uint64_t>("seed", 42)),
      period_ns_(sim::period_ns(params)),
      wheel_radius_(sim::param_real(params, "wheel_radius", 0.1, 0.01, 2.0)),
      ticks_per_rev_(static_cast<double>(sim::param_int(params, "ticks_per_rev", 1024, 1, 1 << 24))),
      track_width_(sim::param_real(params, "track_width", 0.5, 0.05, 5.0)),
      speed_noise_(sim::param_real(params, "speed_noise", 0.01, 0.0, 1.0)),
      right_scale_(1.0 / (1.0 + sim::param_real(params, "radius_error", 0.01, -0.5, 0.5))) {}

void WheelOdometrySim::advance_to(uint64_t cycle) {
  if (cycle < cached_cycle_) {
    cached_cycle_ = 0;
    left_distance_ = right_distance_ = 0;
  }
  const double dt = sim::seconds(period_ns_);
  // Trapezoids between consecutive stamps: the same sum whichever cycle
  // the cache starts from, so the result depends on `cycle` alone.
  WheelSpeeds previous = true_wheel_speeds(sim::seconds(sim::stamp_of(cached_cycle_, period_ns_)), track_width_);
  for (; cached_cycle_ < cycle; ++cached_cycle_) {
    const WheelSpeeds next =
        true_wheel_speeds(sim::seconds(sim::stamp_of(cached_cycle_ + 1, period_ns_)), track_width_);
    left_distance_ += 0.5 * (previous.left + next.left) * dt;
    right_distance_ += 0.5 * (previous.right + next.right) * dt;
    previous = next;
  }
}

copper::Status WheelOdometrySim::process(const copper::Context& ctx, WheelOdometry& out) {
  out.stamp_ns = sim::stamp_of(ctx.cl_id(), period_ns_);
  advance_to(ctx.cl_id());
  const WheelSpeeds truth = true_wheel_speeds(sim::seconds(out.stamp_ns), track_width_);
  sim::Rng rng(seed_, sim::kSaltOdometry, ctx.cl_id());
  out.left_mps = truth.left + speed_noise_ * rng.normal();
  out.right_mps = truth.right * right_scale_ + speed_noise_ * rng.normal();
  const double ticks_per_metre = ticks_per_rev_ / (2.0 * std::numbers::pi * wheel_radius_);
  // Counters wrap modulo 2^32, as hardware ones do; converting through
  // int64 makes that wrap well defined for negative totals too.
  out.left_ticks = static_cast<uint32_t>(static_cast<int64_t>(std::floor(left_distance_ * ticks_per_metre)));
  out.right_ticks =
      static_cast<uint32_t>(static_cast<int64_t>(std::floor(right_distance_ * right_scale_ * ticks_per_metre)));
  return {};
}

COPPER_REGISTER_TASK(WheelOdometrySim, "rover/wheel_odometry");

}  // namespace rover
