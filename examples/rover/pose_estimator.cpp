#include "rover/pose_estimator.hpp"

#include <fmt/format.h>

#include <cmath>

#include <copper/registry.hpp>

#include "rover/sim.hpp"

namespace rover {

PoseEstimator::PoseEstimator(copper::Params& params)
    : metres_per_tick_(2.0 * std::numbers::pi * sim::param_real(params, "wheel_radius", 0.1, 0.01, 2.0) /
                       static_cast<double>(sim::param_int(params, "ticks_per_rev", 1024, 1, 1 << 24))),
      track_width_(sim::param_real(params, "track_width", 0.5, 0.05, 5.0)),
      initial_x_(sim::param_real(params, "initial_x", sim::kStartX, -1e6, 1e6)),
      initial_y_(sim::param_real(params, "initial_y", sim::kStartY, -1e6, 1e6)),
      initial_theta_(sim::param_real(params, "initial_theta", sim::kStartTheta, -10.0, 10.0)),
      initial_sigma_(sim::param_real(params, "initial_sigma", 0.05, 0.0, 100.0)),
      gyro_weight_(sim::param_real(params, "gyro_weight", 0.98, 0.0, 1.0)),
      accel_weight_(sim::param_real(params, "accel_weight", 0.9, 0.0, 1.0)),
      bias_gain_(sim::param_real(params, "bias_gain", 0.01, 0.0, 1.0)) {}

void PoseEstimator::initialize(const Imu& imu, const WheelOdometry& odometry) {
  state_ = PoseEstimatorState{};
  state_.initialized = true;
  state_.last_stamp_ns = imu.stamp_ns;
  state_.last_left_ticks = odometry.left_ticks;
  state_.last_right_ticks = odometry.right_ticks;
  state_.x = initial_x_;
  state_.y = initial_y_;
  state_.theta = sim::wrap_angle(initial_theta_);
  state_.v = 0.5 * (odometry.left_mps + odometry.right_mps);
  state_.omega = imu.gyro[2];
  const double variance = initial_sigma_ * initial_sigma_;
  state_.covariance = {variance, 0, 0, 0, variance, 0, 0, 0, variance};
}

// P <- F P F^T + Q for the motion x += ds cos(h), y += ds sin(h), with F the
// Jacobian with respect to (x, y, theta). Noise grows with distance driven
// and with time (gyro noise integrates into heading).
void PoseEstimator::propagate_covariance(double ds, double heading, double dt) {
  const double fx = -ds * std::sin(heading);
  const double fy = ds * std::cos(heading);
  auto& p = state_.covariance;
  // F P: only the first two rows change, each by a multiple of row 2.
  std::array<double, 9> fp = p;
  for (int c = 0; c < 3; ++c) {
    fp[0 * 3 + c] += fx * p[2 * 3 + c];
    fp[1 * 3 + c] += fy * p[2 * 3 + c];
  }
  // (F P) F^T: the same on the columns.
  std::array<double, 9> next = fp;
  for (int r = 0; r < 3; ++r) {
    next[r * 3 + 0] += fx * fp[r * 3 + 2];
    next[r * 3 + 1] += fy * fp[r * 3 + 2];
  }
  const double q_xy = 0.02 * std::abs(ds);
  const double q_theta = 0.005 * dt + 0.01 * std::abs(ds) / track_width_;
  next[0] += q_xy * q_xy;
  next[4] += q_xy * q_xy;
  next[8] += q_theta * q_theta;
  p = next;
}

copper::Status PoseEstimator::process(const copper::Context&, const Imu& imu, const WheelOdometry& odometry,
                                      Pose2D& out) {
  if (!state_.initialized) {
    initialize(imu, odometry);
  } else {
    if (imu.stamp_ns <= state_.last_stamp_ns)
      return copper::Status::error(fmt::format("imu stamp {} does not advance past {}: inputs out of order",
                                               imu.stamp_ns, state_.last_stamp_ns));
    const double dt = sim::seconds(imu.stamp_ns - state_.last_stamp_ns);
    // Unsigned differences cast to signed handle counter wrap-around.
    const double dl =
        static_cast<int32_t>(odometry.left_ticks - state_.last_left_ticks) * metres_per_tick_;
    const double dr =
        static_cast<int32_t>(odometry.right_ticks - state_.last_right_ticks) * metres_per_tick_;
    const double ds = 0.5 * (dl + dr);
    const double wheel_omega = (dr - dl) / track_width_ / dt;
    const double wheel_v = 0.5 * (odometry.left_mps + odometry.right_mps);

    const bool standing = std::abs(wheel_v) < 0.005 && std::abs(wheel_omega) < 0.005;
    if (standing) state_.gyro_bias += bias_gain_ * (imu.gyro[2] - state_.gyro_bias);
    const double gyro_omega = imu.gyro[2] - state_.gyro_bias;
    state_.omega = gyro_weight_ * gyro_omega + (1.0 - gyro_weight_) * wheel_omega;
    state_.v = accel_weight_ * (state_.v + imu.accel[0] * dt) + (1.0 - accel_weight_) * wheel_v;

    // Midpoint heading: exact for a constant-curvature step.
    const double heading = state_.theta + 0.5 * state_.omega * dt;
    state_.x += ds * std::cos(heading);
    state_.y += ds * std::sin(heading);
    state_.theta = sim::wrap_angle(state_.theta + state_.omega * dt);
    propagate_covariance(ds, heading, dt);

    state_.last_stamp_ns = imu.stamp_ns;
    state_.last_left_ticks = odometry.left_ticks;
    state_.last_right_ticks = odometry.right_ticks;
  }
  ++state_.updates;
  out.stamp_ns = imu.stamp_ns;
  out.x = state_.x;
  out.y = state_.y;
  out.theta = state_.theta;
  out.v = state_.v;
  out.omega = state_.omega;
  out.covariance = state_.covariance;
  return {};
}

bool PoseEstimator::freeze(std::vector<uint8_t>& out) const { return copper::freeze_state(state_, out); }

copper::Status PoseEstimator::thaw(std::span<const uint8_t> bytes) { return copper::thaw_state(bytes, state_); }

COPPER_REGISTER_TASK(PoseEstimator, "rover/pose_estimator");

}  // namespace rover
