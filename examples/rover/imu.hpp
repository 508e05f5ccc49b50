// rover/imu: a 6-axis IMU riding on the scripted rover.
#pragma once

#include <copper/task.hpp>
#include <copper/params.hpp>

#include "rover/messages.hpp"

namespace rover {

// Params: seed (42), rate_hz (100), accel_noise (0.05 m/s^2),
// gyro_noise (0.004 rad/s), gyro_bias (0.003 rad/s, on z), accel_bias
// (0.02 m/s^2, on x). Biases are constant so an estimator can learn them.
class ImuSim final : public copper::Source<Imu> {
 public:
  explicit ImuSim(copper::Params& params);
  copper::Status process(const copper::Context& ctx, Imu& out) override;

 private:
  uint64_t seed_;
  int64_t period_ns_;
  double accel_noise_;
  double gyro_noise_;
  double gyro_bias_;
  double accel_bias_;
};

}  // namespace rover
