#include "rover/camera.hpp"

#include <algorithm>

#include <copper/registry.hpp>

namespace rover {

namespace {

constexpr double kWallHeight = 2.0;    // m; discs are drawn as tall as walls
constexpr double kCameraHeight = 0.4;  // m above the floor

// Brightness of a surface point before distance fog. Stripes give the
// edge detector vertical structure that moves as the rover turns.
double surface_shade(const sim::Hit& hit) {
  if (hit.surface < 4) {
    const double base = hit.surface < 2 ? 150.0 : 120.0;
    const bool stripe = (static_cast<int64_t>(std::floor(hit.u / 0.5)) & 1) != 0;
    return base + (stripe ? 45.0 : 0.0);
  }
  const bool stripe = (static_cast<int64_t>(std::floor(hit.u / 0.1)) & 1) != 0;
  return 60.0 + (stripe ? 30.0 : 0.0);
}

}  // namespace

CameraSim::CameraSim(copper::Params& params)
    : seed_(params.get_or<uint64_t>("seed", 42)),
      period_ns_(sim::period_ns(params)),
      width_(static_cast<uint16_t>(sim::param_int(params, "width", 160, 16, 4096))),
      height_(static_cast<uint16_t>(sim::param_int(params, "height", 120, 16, 4096))),
      fov_(sim::param_real(params, "fov_deg", 70.0, 10.0, 170.0) * std::numbers::pi / 180.0),
      noise_(sim::param_real(params, "noise", 6.0, 0.0, 64.0)),
      world_(seed_),
      top_(width_),
      bottom_(width_),
      shade_(width_) {}

copper::Status CameraSim::process(const copper::Context& ctx, Image& out) {
  out.stamp_ns = sim::stamp_of(ctx.cl_id(), period_ns_);
  out.width = width_;
  out.height = height_;
  const double t = sim::seconds(out.stamp_ns);
  const sim::Truth truth = sim::truth_at(t);
  const sim::Snapshot snapshot = world_.at(t);
  const double w = width_;
  const double h = height_;
  const double focal = (w / 2) / std::tan(fov_ / 2);
  const double horizon = h / 2 + 1.5 * std::sin(2.0 * std::numbers::pi * 1.3 * t);

  for (size_t c = 0; c < width_; ++c) {
    // Column 0 is the left edge, i.e. the most counter-clockwise ray.
    const double offset = fov_ / 2 - (static_cast<double>(c) + 0.5) * fov_ / w;
    const sim::Hit hit = world_.cast(snapshot, truth.x, truth.y, truth.theta + offset);
    // Perpendicular distance, so straight walls stay straight on screen.
    const double depth = std::max(hit.distance * std::cos(offset), 0.05);
    top_[c] = static_cast<float>(horizon - focal * (kWallHeight - kCameraHeight) / depth);
    bottom_[c] = static_cast<float>(horizon + focal * kCameraHeight / depth);
    shade_[c] = static_cast<float>(30.0 + (surface_shade(hit) - 30.0) / (1.0 + 0.06 * hit.distance));
  }

  out.pixels.resize(static_cast<size_t>(width_) * height_);
  sim::Rng rng(seed_, sim::kSaltCamera, ctx.cl_id());
  uint64_t bits = 0;
  int bits_left = 0;
  uint8_t* pixel = out.pixels.data();
  for (size_t r = 0; r < height_; ++r) {
    const double row = static_cast<double>(r) + 0.5;
    const double ceiling_value = 210.0 - 60.0 * row / horizon;
    const double floor_value = 50.0 + 110.0 * (row - horizon) / (h - horizon);
    for (size_t c = 0; c < width_; ++c) {
      double value = row < top_[c] ? ceiling_value : row > bottom_[c] ? floor_value : shade_[c];
      // Triangular noise from two random bytes; one 64-bit draw serves
      // four pixels, which keeps the source cheap at high resolutions.
      if (bits_left == 0) {
        bits = rng.next();
        bits_left = 4;
      }
      const double a = static_cast<double>(bits & 0xFF);
      const double b = static_cast<double>((bits >> 8) & 0xFF);
      bits >>= 16;
      --bits_left;
      value += noise_ * (a + b - 255.0) / 255.0;
      *pixel++ = static_cast<uint8_t>(std::clamp(std::lround(value), 0L, 255L));
    }
  }
  return {};
}

COPPER_REGISTER_TASK(CameraSim, "rover/camera");

}  // namespace rover
