#include "rover/imu.hpp"

#include <copper/registry.hpp>

#include "rover/sim.hpp"

namespace rover {

ImuSim::ImuSim(copper::Params& params)
    : seed_(params.get_or<uint64_t>("seed", 42)),
      period_ns_(sim::period_ns(params)),
      accel_noise_(sim::param_real(params, "accel_noise", 0.05, 0.0, 10.0)),
      gyro_noise_(sim::param_real(params, "gyro_noise", 0.004, 0.0, 1.0)),
      gyro_bias_(sim::param_real(params, "gyro_bias", 0.003, -1.0, 1.0)),
      accel_bias_(sim::param_real(params, "accel_bias", 0.02, -10.0, 10.0)) {}

copper::Status ImuSim::process(const copper::Context& ctx, Imu& out) {
  constexpr double kGravity = 9.80665;
  out.stamp_ns = sim::stamp_of(ctx.cl_id(), period_ns_);
  const double t = sim::seconds(out.stamp_ns);
  const sim::Truth truth = sim::truth_at(t);
  sim::Rng rng(seed_, sim::kSaltImu, ctx.cl_id());
  // A rough floor shakes the chassis vertically at about 12 Hz.
  const double bump = 0.15 * std::sin(2.0 * std::numbers::pi * 12.0 * t);
  out.accel[0] = truth.accel + accel_bias_ + accel_noise_ * rng.normal();
  out.accel[1] = truth.v * truth.omega + accel_noise_ * rng.normal();
  out.accel[2] = kGravity + bump + accel_noise_ * rng.normal();
  out.gyro[0] = gyro_noise_ * rng.normal();
  out.gyro[1] = gyro_noise_ * rng.normal();
  out.gyro[2] = truth.omega + gyro_bias_ + gyro_noise_ * rng.normal();
  return {};
}

COPPER_REGISTER_TASK(ImuSim, "rover/imu");

}  // namespace rover
