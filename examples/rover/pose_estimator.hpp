// rover/pose_estimator: dead reckoning that fuses the IMU and the wheels.
#pragma once

#include <array>

#include <copper/task.hpp>
#include <copper/params.hpp>

#include "rover/messages.hpp"

namespace rover {

// Everything the estimator carries from one cycle to the next; a described
// struct so that freeze/thaw are one codec call each.
struct PoseEstimatorState {
  bool initialized = false;
  int64_t last_stamp_ns = 0;
  uint32_t last_left_ticks = 0;
  uint32_t last_right_ticks = 0;
  double x = 0;
  double y = 0;
  double theta = 0;
  double v = 0;
  double omega = 0;
  double gyro_bias = 0;
  std::array<double, 9> covariance{};
  uint64_t updates = 0;
};
BOOST_DESCRIBE_STRUCT(PoseEstimatorState, (),
                      (initialized, last_stamp_ns, last_left_ticks, last_right_ticks, x, y, theta, v, omega,
                       gyro_bias, covariance, updates))

// Distance comes from the encoder ticks (exact up to the wheel radius),
// heading rate mostly from the gyro (immune to wheel slip and unequal
// wheels), forward speed from a complementary filter of IMU acceleration
// and wheel speeds. The gyro bias is learned only while the wheels say the
// rover is standing still: unequal wheels make odometric yaw rate biased
// too, so learning from it while moving would trade one bias for another.
// Covariance of (x, y, theta) is propagated EKF-style; with no absolute
// measurement it only grows, as dead reckoning's should.
//
// Inputs: "imu" (rover::Imu), "odometry" (rover::WheelOdometry).
// Params: wheel_radius (0.1), ticks_per_rev (1024), track_width (0.5) -
// keep them equal to the odometry source's; initial_x, initial_y,
// initial_theta (the simulated route's start); initial_sigma (0.05 m/rad);
// gyro_weight (0.98); accel_weight (0.9); bias_gain (0.01).
class PoseEstimator final : public copper::Task<Pose2D, Imu, WheelOdometry> {
 public:
  static constexpr std::array<std::string_view, 2> input_names{"imu", "odometry"};

  explicit PoseEstimator(copper::Params& params);
  copper::Status process(const copper::Context& ctx, const Imu& imu, const WheelOdometry& odometry,
                         Pose2D& out) override;
  bool freeze(std::vector<uint8_t>& out) const override;
  copper::Status thaw(std::span<const uint8_t> bytes) override;

  const PoseEstimatorState& state() const { return state_; }

 private:
  void initialize(const Imu& imu, const WheelOdometry& odometry);
  void propagate_covariance(double ds, double heading, double dt);

  double metres_per_tick_;
  double track_width_;
  double initial_x_;
  double initial_y_;
  double initial_theta_;
  double initial_sigma_;
  double gyro_weight_;
  double accel_weight_;
  double bias_gain_;
  PoseEstimatorState state_;
};

}  // namespace rover
