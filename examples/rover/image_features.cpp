#include "rover/image_features.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include <copper/registry.hpp>

#include "rover/sim.hpp"

namespace rover {

namespace {

struct Scratch {
  std::vector<uint16_t> horizontal;  // after the row pass, not yet normalised
  std::vector<uint8_t> blurred;
};

Scratch& thread_scratch() {
  thread_local Scratch scratch;
  return scratch;
}

// Binomial weights; their sum is a power of two so normalising is a shift.
constexpr std::array<uint32_t, 5> kBinomial5{1, 4, 6, 4, 1};
constexpr std::array<uint32_t, 5> kBinomial3{0, 1, 2, 1, 0};

void blur(const uint8_t* in, size_t w, size_t h, const std::array<uint32_t, 5>& k, int shift, Scratch& s) {
  const auto wi = static_cast<ptrdiff_t>(w);
  const auto hi = static_cast<ptrdiff_t>(h);
  auto clamp_x = [wi](ptrdiff_t x) { return static_cast<size_t>(std::clamp<ptrdiff_t>(x, 0, wi - 1)); };
  auto clamp_y = [hi](ptrdiff_t y) { return static_cast<size_t>(std::clamp<ptrdiff_t>(y, 0, hi - 1)); };
  for (size_t y = 0; y < h; ++y) {
    const uint8_t* row = in + y * w;
    uint16_t* dst = s.horizontal.data() + y * w;
    for (ptrdiff_t x = 0; x < wi; ++x) {
      uint32_t sum = 0;
      for (ptrdiff_t d = -2; d <= 2; ++d) sum += k[static_cast<size_t>(d + 2)] * row[clamp_x(x + d)];
      dst[x] = static_cast<uint16_t>(sum);
    }
  }
  const uint32_t rounding = 1u << (2 * shift - 1);
  for (ptrdiff_t y = 0; y < hi; ++y) {
    uint8_t* dst = s.blurred.data() + static_cast<size_t>(y) * w;
    for (size_t x = 0; x < w; ++x) {
      uint32_t sum = 0;
      for (ptrdiff_t d = -2; d <= 2; ++d) sum += k[static_cast<size_t>(d + 2)] * s.horizontal[clamp_y(y + d) * w + x];
      dst[x] = static_cast<uint8_t>((sum + rounding) >> (2 * shift));
    }
  }
}

}  // namespace

ImageFeatureExtractor::ImageFeatureExtractor(copper::Params& params)
    : blur_(static_cast<int>(sim::param_int(params, "blur", 5, 3, 5))) {
  if (blur_ == 4) sim::bad_param(params, "blur", "must be 3 or 5");
  const double threshold = sim::param_real(params, "threshold", 40.0, 0.0, 2000.0);
  threshold_squared_ = static_cast<int64_t>(threshold * threshold);
}

copper::Status ImageFeatureExtractor::process(const copper::Context&, const Image& image, ImageFeatures& out) {
  const size_t w = image.width;
  const size_t h = image.height;
  if (image.pixels.size() != w * h)
    return copper::Status::error(
        fmt::format("image is {}x{} but carries {} pixels", image.width, image.height, image.pixels.size()));
  out.stamp_ns = image.stamp_ns;
  if (w < 3 || h < 3) return {};

  uint64_t total = 0;
  for (uint8_t p : image.pixels) total += p;
  out.mean_intensity = static_cast<float>(static_cast<double>(total) / static_cast<double>(w * h));

  Scratch& s = thread_scratch();
  s.horizontal.resize(w * h);
  s.blurred.resize(w * h);
  if (blur_ == 5) blur(image.pixels.data(), w, h, kBinomial5, 4, s);
  else blur(image.pixels.data(), w, h, kBinomial3, 2, s);

  const size_t third = w / 3;
  std::array<uint64_t, 3> edges{};
  std::array<uint64_t, 3> area{};
  const uint8_t* b = s.blurred.data();
  for (size_t y = 1; y + 1 < h; ++y) {
    const uint8_t* up = b + (y - 1) * w;
    const uint8_t* mid = b + y * w;
    const uint8_t* down = b + (y + 1) * w;
    for (size_t x = 1; x + 1 < w; ++x) {
      const int gx = (up[x + 1] + 2 * mid[x + 1] + down[x + 1]) - (up[x - 1] + 2 * mid[x - 1] + down[x - 1]);
      const int gy = (down[x - 1] + 2 * down[x] + down[x + 1]) - (up[x - 1] + 2 * up[x] + up[x + 1]);
      const size_t zone = x < third ? 0 : x < 2 * third ? 1 : 2;
      ++area[zone];
      if (static_cast<int64_t>(gx * gx + gy * gy) > threshold_squared_) ++edges[zone];
    }
  }
  auto density = [&](size_t zone) {
    return area[zone] == 0 ? 0.0f : static_cast<float>(static_cast<double>(edges[zone]) / static_cast<double>(area[zone]));
  };
  out.edge_count = static_cast<uint32_t>(edges[0] + edges[1] + edges[2]);
  out.left_density = density(0);
  out.center_density = density(1);
  out.right_density = density(2);
  return {};
}

COPPER_REGISTER_TASK(ImageFeatureExtractor, "rover/image_features");

}  // namespace rover
