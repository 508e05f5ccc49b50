#include "rover/lidar.hpp"

#include <copper/registry.hpp>

namespace rover {

LidarSim::LidarSim(copper::Params& params)
    : seed_(params.get_or<uint64_t>("seed", 42)),
      period_ns_(sim::period_ns(params)),
      beams_(static_cast<size_t>(sim::param_int(params, "beams", 360, 8, 65536))),
      range_max_(sim::param_real(params, "range_max", 15.0, 0.5, 1000.0)),
      range_noise_(sim::param_real(params, "range_noise", 0.01, 0.0, 1.0)),
      dropout_(sim::param_real(params, "dropout", 0.005, 0.0, 1.0)),
      world_(seed_) {}

copper::Status LidarSim::process(const copper::Context& ctx, LidarScan& out) {
  out.stamp_ns = sim::stamp_of(ctx.cl_id(), period_ns_);
  const double t = sim::seconds(out.stamp_ns);
  const sim::Truth truth = sim::truth_at(t);
  const sim::Snapshot snapshot = world_.at(t);
  sim::Rng rng(seed_, sim::kSaltLidar, ctx.cl_id());

  out.angle_min = static_cast<float>(-std::numbers::pi);
  out.angle_increment = static_cast<float>(2.0 * std::numbers::pi / static_cast<double>(beams_));
  out.range_max = static_cast<float>(range_max_);
  // The recycled message kept its capacity, so this allocates only the
  // first time each copperlist slot is filled.
  out.ranges.resize(beams_);
  for (size_t i = 0; i < beams_; ++i) {
    // Angles from the float fields, so a consumer recomputing them from the
    // message gets exactly the beams that were simulated.
    const double body_angle =
        static_cast<double>(out.angle_min) + static_cast<double>(i) * static_cast<double>(out.angle_increment);
    const sim::Hit hit = world_.cast(snapshot, truth.x, truth.y, truth.theta + body_angle);
    const double sigma = range_noise_ * (1.0 + hit.distance / 5.0);
    const double range = hit.distance + sigma * rng.normal();
    const bool dropped = rng.uniform() < dropout_;
    out.ranges[i] = (dropped || range > range_max_ || range <= 0) ? 0.0f : static_cast<float>(range);
  }
  return {};
}

COPPER_REGISTER_TASK(LidarSim, "rover/lidar");

}  // namespace rover
