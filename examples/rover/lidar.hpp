// rover/lidar: a 360-degree planar lidar at the rover's centre.
#pragma once

#include <copper/task.hpp>
#include <copper/params.hpp>

#include "rover/messages.hpp"
#include "rover/sim.hpp"

namespace rover {

// Params: seed (42, also lays out the room's obstacles), rate_hz (100),
// beams (360), range_max (15 m), range_noise (0.01 m at zero range, growing
// with range), dropout (0.005: fraction of beams with no return).
class LidarSim final : public copper::Source<LidarScan> {
 public:
  explicit LidarSim(copper::Params& params);
  copper::Status process(const copper::Context& ctx, LidarScan& out) override;

 private:
  uint64_t seed_;
  int64_t period_ns_;
  size_t beams_;
  double range_max_;
  double range_noise_;
  double dropout_;
  sim::World world_;
};

}  // namespace rover
