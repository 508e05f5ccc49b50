// rover/camera: a forward-looking grayscale camera.
#pragma once

#include <vector>

#include <copper/task.hpp>
#include <copper/params.hpp>

#include "rover/messages.hpp"
#include "rover/sim.hpp"

namespace rover {

// Renders the room the lidar sees, raycaster style: one ray per column,
// textured walls and obstacles shaded by distance, ceiling and floor
// gradients, a horizon that bobs with the floor, and per-pixel noise.
//
// Params: seed (42), rate_hz (100), width (160), height (120), fov_deg (70),
// noise (6: amplitude of the triangular pixel noise, in gray levels).
class CameraSim final : public copper::Source<Image> {
 public:
  explicit CameraSim(copper::Params& params);
  copper::Status process(const copper::Context& ctx, Image& out) override;

 private:
  uint64_t seed_;
  int64_t period_ns_;
  uint16_t width_;
  uint16_t height_;
  double fov_;
  double noise_;
  sim::World world_;
  // Per-column rendering results, sized once in the constructor.
  std::vector<float> top_;
  std::vector<float> bottom_;
  std::vector<float> shade_;
};

}  // namespace rover
