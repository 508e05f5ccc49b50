// rover/obstacle_detector: compact objects in a lidar scan.
#pragma once

#include <array>

#include <copper/task.hpp>
#include <copper/params.hpp>

#include "rover/messages.hpp"

namespace rover {

// Splits the scan into segments of neighbouring beams whose ranges are
// continuous, then keeps the segments that are narrow (not a wall) and stand
// in front of what surrounds them (not a piece of wall seen between two
// obstacles). Each becomes an Obstacle at the range and bearing of its
// closest beam.
//
// Input: "scan" (rover::LidarScan). Stateless.
// Params: range_min (0.05 m: closer returns are the chassis), jump (0.15 m)
// and jump_ratio (0.05): neighbours further apart than jump + jump_ratio *
// range start a new segment; max_gap (2: missing returns bridged inside a
// segment); min_points (3); max_width (1.2 m);
// max_obstacles (32): beyond that the farthest are dropped.
class ObstacleDetector final : public copper::Task<Obstacles, LidarScan> {
 public:
  static constexpr bool stateless = true;
  static constexpr std::array<std::string_view, 1> input_names{"scan"};

  explicit ObstacleDetector(copper::Params& params);
  copper::Status process(const copper::Context& ctx, const LidarScan& scan, Obstacles& out) override;

 private:
  float range_min_;
  float jump_;
  float jump_ratio_;
  size_t max_gap_;
  size_t min_points_;
  float max_width_;
  size_t max_obstacles_;
};

}  // namespace rover
