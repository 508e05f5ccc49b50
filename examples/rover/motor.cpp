#include "rover/motor.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include <copper/registry.hpp>

#include "rover/sim.hpp"

namespace rover {

Motor::Motor(copper::Params& params)
    : max_speed_(sim::param_real(params, "max_speed", 1.0, 0.0, 100.0)),
      max_accel_(sim::param_real(params, "max_accel", 2.0, 0.0, 1000.0)),
      reject_above_(sim::param_real(params, "reject_above", 5.0, 0.0, 1000.0)) {}

copper::Status Motor::process(const copper::Context&, const MotorCommand& command) {
  double dt = 0;
  if (state_.initialized) {
    if (command.stamp_ns <= state_.last_stamp_ns)
      return copper::Status::error(fmt::format("command stamp {} does not advance past {}", command.stamp_ns,
                                               state_.last_stamp_ns));
    dt = sim::seconds(command.stamp_ns - state_.last_stamp_ns);
  }
  state_.initialized = true;
  state_.last_stamp_ns = command.stamp_ns;
  ++state_.commands;

  if (command.emergency_stop) {
    if (!state_.stopped) ++state_.emergency_stops;
    state_.stopped = true;
    state_.left_mps = state_.right_mps = 0;
    return {};
  }
  state_.stopped = false;

  double left = command.left_mps;
  double right = command.right_mps;
  auto plausible = [this](double speed) { return std::isfinite(speed) && std::abs(speed) <= reject_above_; };
  if (!plausible(left) || !plausible(right)) {
    ++state_.rejected;
    left = right = 0;
  } else if (std::abs(left) > max_speed_ || std::abs(right) > max_speed_) {
    ++state_.limited;
    left = std::clamp(left, -max_speed_, max_speed_);
    right = std::clamp(right, -max_speed_, max_speed_);
  }
  const double step = max_accel_ * dt;
  state_.left_mps += std::clamp(left - state_.left_mps, -step, step);
  state_.right_mps += std::clamp(right - state_.right_mps, -step, step);
  state_.odometer_m += 0.5 * std::abs(state_.left_mps + state_.right_mps) * dt;
  return {};
}

bool Motor::freeze(std::vector<uint8_t>& out) const { return copper::freeze_state(state_, out); }

copper::Status Motor::thaw(std::span<const uint8_t> bytes) { return copper::thaw_state(bytes, state_); }

COPPER_REGISTER_TASK(Motor, "rover/motor");

}  // namespace rover
