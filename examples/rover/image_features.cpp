#include "rover/image_features.hpp"

#include <fmt/format.h>

#include <algorithm>

#include <copper/registry.hpp>

#include "rover/sim.hpp"

namespace rover {

namespace {

// The camera's widest frame (camera.cpp); wider images are refused.
constexpr size_t kMaxWidth = 4096;

// Binomial weights; their sum is a power of two so normalising is a shift.
constexpr std::array<uint32_t, 5> kBinomial5{1, 4, 6, 4, 1};
constexpr std::array<uint32_t, 5> kBinomial3{0, 1, 2, 1, 0};

// The separable blur and the Sobel pass stream over the frame row by row,
// so they need only a few rows of buffer, kept on the stack: a stateless
// task must not share buffers between the copperlists it runs at once,
// and the per-cycle path must not allocate.
class EdgeCounter {
 public:
  EdgeCounter(const uint8_t* pixels, size_t w, size_t h, const std::array<uint32_t, 5>& kernel, int shift,
              int64_t threshold_squared)
      : in_(pixels), w_(w), h_(h), k_(kernel), shift_(shift), threshold_squared_(threshold_squared) {}

  // Edge pixels and pixels looked at, per third of the frame (left, centre, right).
  void count(std::array<uint64_t, 3>& edges, std::array<uint64_t, 3>& area) {
    for (size_t y = 0; y < h_; ++y) {
      blur_row(y);
      if (y >= 2) sobel_row(y - 1, edges, area);
    }
  }

 private:
  uint16_t* horizontal(size_t row) { return horizontal_.data() + (row % 5) * w_; }
  uint8_t* blurred(size_t row) { return blurred_.data() + (row % 3) * w_; }

  // The horizontal pass of one input row, clamped at the left and right edges.
  void horizontal_row(size_t y) {
    const uint8_t* row = in_ + y * w_;
    uint16_t* dst = horizontal(y);
    const auto last = static_cast<ptrdiff_t>(w_) - 1;
    for (ptrdiff_t x = 0; x <= last; ++x) {
      uint32_t sum = 0;
      for (ptrdiff_t d = -2; d <= 2; ++d)
        sum += k_[static_cast<size_t>(d + 2)] * row[static_cast<size_t>(std::clamp<ptrdiff_t>(x + d, 0, last))];
      dst[x] = static_cast<uint16_t>(sum);
    }
  }

  // The vertical pass for output row y: input rows y-2..y+2 clamped at the
  // top and bottom, whose horizontal passes the 5-row ring holds.
  void blur_row(size_t y) {
    if (y == 0)
      for (size_t r = 0; r < std::min<size_t>(2, h_); ++r) horizontal_row(r);
    if (y + 2 < h_) horizontal_row(y + 2);
    const auto last = static_cast<ptrdiff_t>(h_) - 1;
    const uint32_t rounding = 1u << (2 * shift_ - 1);
    uint8_t* dst = blurred(y);
    for (size_t x = 0; x < w_; ++x) {
      uint32_t sum = 0;
      for (ptrdiff_t d = -2; d <= 2; ++d) {
        const auto source = static_cast<size_t>(std::clamp<ptrdiff_t>(static_cast<ptrdiff_t>(y) + d, 0, last));
        sum += k_[static_cast<size_t>(d + 2)] * horizontal(source)[x];
      }
      dst[x] = static_cast<uint8_t>((sum + rounding) >> (2 * shift_));
    }
  }

  void sobel_row(size_t y, std::array<uint64_t, 3>& edges, std::array<uint64_t, 3>& area) {
    const uint8_t* up = blurred(y - 1);
    const uint8_t* mid = blurred(y);
    const uint8_t* down = blurred(y + 1);
    const size_t third = w_ / 3;
    for (size_t x = 1; x + 1 < w_; ++x) {
      const int gx = (up[x + 1] + 2 * mid[x + 1] + down[x + 1]) - (up[x - 1] + 2 * mid[x - 1] + down[x - 1]);
      const int gy = (down[x - 1] + 2 * down[x] + down[x + 1]) - (up[x - 1] + 2 * up[x] + up[x + 1]);
      const size_t zone = x < third ? 0 : x < 2 * third ? 1 : 2;
      ++area[zone];
      if (static_cast<int64_t>(gx * gx + gy * gy) > threshold_squared_) ++edges[zone];
    }
  }

  const uint8_t* in_;
  size_t w_, h_;
  const std::array<uint32_t, 5>& k_;
  int shift_;
  int64_t threshold_squared_;
  std::array<uint16_t, 5 * kMaxWidth> horizontal_;
  std::array<uint8_t, 3 * kMaxWidth> blurred_;
};

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

  if (w > kMaxWidth) return copper::Status::error(fmt::format("image is {} pixels wide, more than {}", w, kMaxWidth));
  std::array<uint64_t, 3> edges{};
  std::array<uint64_t, 3> area{};
  EdgeCounter(image.pixels.data(), w, h, blur_ == 5 ? kBinomial5 : kBinomial3, blur_ == 5 ? 4 : 2, threshold_squared_)
      .count(edges, area);
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
