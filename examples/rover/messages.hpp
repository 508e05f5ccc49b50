// The rover's messages: what flows between its tasks and what the log keeps.
//
// Every message carries stamp_ns, the simulated time of the reading
// (cl_id * period), so that a replay, or two runs with different executors,
// produce the same bytes. Units are SI (m, s, rad); angles are
// counter-clockwise, x forward and y left in the body frame.
//
// Three of them also declare how Foxglove shows them (copper/foxglove.hpp,
// docs/foxglove.md): the camera image as an image, the lidar scan as a
// scan in the rover's frame, the pose as a pose in the room.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include <boost/describe/class.hpp>

#include "copper/foxglove.hpp"

namespace rover {

// Body-frame inertial reading. accel includes gravity on z (m/s^2); gyro in rad/s.
struct Imu {
  int64_t stamp_ns = 0;
  std::array<double, 3> accel{};
  std::array<double, 3> gyro{};
};
BOOST_DESCRIBE_STRUCT(Imu, (), (stamp_ns, accel, gyro))

// Measured wheel surface speeds, plus cumulative encoder counts that wrap
// at 2^32 like a hardware counter.
struct WheelOdometry {
  int64_t stamp_ns = 0;
  double left_mps = 0;
  double right_mps = 0;
  uint32_t left_ticks = 0;
  uint32_t right_ticks = 0;
};
BOOST_DESCRIBE_STRUCT(WheelOdometry, (), (stamp_ns, left_mps, right_mps, left_ticks, right_ticks))

// One planar sweep. Beam i points at angle_min + i * angle_increment.
// A range of 0 means no return (nothing within range_max, or a dropout);
// 0 rather than infinity keeps the value finite for JSON export.
struct LidarScan {
  int64_t stamp_ns = 0;
  float angle_min = 0;
  float angle_increment = 0;
  float range_max = 0;
  std::vector<float> ranges;
};
BOOST_DESCRIBE_STRUCT(LidarScan, (), (stamp_ns, angle_min, angle_increment, range_max, ranges))
// In the rover's body frame. foxglove.LaserScan has no marker for "no
// return": those ranges stay 0 (docs/foxglove.md).
COPPER_FOXGLOVE_VIEW(LidarScan, R"({
  "schema": "foxglove.LaserScan", "frame_id": "rover",
  "fields": {"ranges": "ranges", "start_angle": "angle_min", "angle_increment": "angle_increment",
             "range_max": "range_max"}})");

// 8-bit grayscale, row-major, width * height bytes.
struct Image {
  int64_t stamp_ns = 0;
  uint16_t width = 0;
  uint16_t height = 0;
  std::vector<uint8_t> pixels;
};
BOOST_DESCRIBE_STRUCT(Image, (), (stamp_ns, width, height, pixels))
COPPER_FOXGLOVE_VIEW(Image, R"({
  "schema": "foxglove.RawImage", "frame_id": "camera", "encoding": "mono8",
  "fields": {"width": "width", "height": "height", "data": "pixels"}})");

// Planar pose in the room frame. covariance is the row-major 3x3 of
// (x, y, theta).
struct Pose2D {
  int64_t stamp_ns = 0;
  double x = 0;
  double y = 0;
  double theta = 0;
  double v = 0;
  double omega = 0;
  std::array<double, 9> covariance{};
};
BOOST_DESCRIBE_STRUCT(Pose2D, (), (stamp_ns, x, y, theta, v, omega, covariance))
// Two views: the pose itself, and the transform that places the rover's
// frame in the room, so that Foxglove's 3D panel draws the scan (frame
// "rover") where the rover is.
COPPER_FOXGLOVE_VIEW(Pose2D, R"([
  {"schema": "foxglove.PoseInFrame", "frame_id": "room", "fields": {"x": "x", "y": "y", "yaw": "theta"}},
  {"schema": "foxglove.FrameTransform", "parent_frame_id": "room", "child_frame_id": "rover",
   "fields": {"x": "x", "y": "y", "yaw": "theta"}}])");

// A compact object seen by the lidar: closest range, bearing of its centre
// in the body frame, and its apparent chord width.
struct Obstacle {
  float range = 0;
  float bearing = 0;
  float width = 0;
};
BOOST_DESCRIBE_STRUCT(Obstacle, (), (range, bearing, width))

// nearest is the smallest obstacle range, or the scan's range_max when the
// list is empty.
struct Obstacles {
  int64_t stamp_ns = 0;
  std::vector<Obstacle> items;
  float nearest = 0;
};
BOOST_DESCRIBE_STRUCT(Obstacles, (), (stamp_ns, items, nearest))

// Edge statistics of one image. Densities are the fraction of edge pixels
// in the left, centre and right thirds of the frame.
struct ImageFeatures {
  int64_t stamp_ns = 0;
  uint32_t edge_count = 0;
  float mean_intensity = 0;
  float left_density = 0;
  float center_density = 0;
  float right_density = 0;
};
BOOST_DESCRIBE_STRUCT(ImageFeatures, (), (stamp_ns, edge_count, mean_intensity, left_density, center_density,
                                          right_density))

// Wheel speed set-points for a differential drive.
struct MotorCommand {
  int64_t stamp_ns = 0;
  double left_mps = 0;
  double right_mps = 0;
  bool emergency_stop = false;
};
BOOST_DESCRIBE_STRUCT(MotorCommand, (), (stamp_ns, left_mps, right_mps, emergency_stop))

}  // namespace rover
