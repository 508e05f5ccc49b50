// rover/image_features: edge statistics of a camera frame.
#pragma once

#include <array>

#include <copper/task.hpp>
#include <copper/params.hpp>

#include "rover/messages.hpp"

namespace rover {

// Blurs the frame with a binomial kernel (3x3 or 5x5, separable), takes the
// Sobel gradient magnitude and counts pixels above a threshold, overall and
// per third of the frame.
//
// Input: "image" (rover::Image), at most 4096 pixels wide. Stateless: the
// parallel runtime may run several copperlists through one instance at
// once, so the blur streams through a few rows of buffer on the stack
// rather than frame buffers in the instance.
// Params: blur (5: kernel size, 3 or 5), threshold (40: gradient magnitude;
// a full black-to-white step reads 1020).
class ImageFeatureExtractor final : public copper::Task<ImageFeatures, Image> {
 public:
  static constexpr bool stateless = true;
  static constexpr std::array<std::string_view, 1> input_names{"image"};

  explicit ImageFeatureExtractor(copper::Params& params);
  copper::Status process(const copper::Context& ctx, const Image& image, ImageFeatures& out) override;

 private:
  int blur_;
  int64_t threshold_squared_;
};

}  // namespace rover
