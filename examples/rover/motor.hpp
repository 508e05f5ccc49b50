// rover/motor: the simulated wheel drive at the end of the graph.
#pragma once

#include <array>

#include <copper/task.hpp>
#include <copper/params.hpp>

#include "rover/messages.hpp"

namespace rover {

struct MotorState {
  bool initialized = false;
  bool stopped = false;  // emergency stop in force
  int64_t last_stamp_ns = 0;
  double left_mps = 0;   // speeds actually applied to the wheels
  double right_mps = 0;
  double odometer_m = 0;
  uint64_t commands = 0;
  uint64_t limited = 0;   // clamped to max_speed
  uint64_t rejected = 0;  // implausible: replaced by a stop
  uint64_t emergency_stops = 0;
};
BOOST_DESCRIBE_STRUCT(MotorState, (),
                      (initialized, stopped, last_stamp_ns, left_mps, right_mps, odometer_m, commands, limited,
                       rejected, emergency_stops))

// Applies commands as a real drive controller would: an emergency stop cuts
// the wheels at once; a command above reject_above (or not finite) is
// treated as corrupt and replaced by a stop; otherwise speeds are clamped
// to max_speed and slewed at most max_accel. A command whose stamp does not
// advance is an error: the drive must never see time run backwards.
//
// Input: "command" (rover::MotorCommand).
// Params: max_speed (1.0 m/s), max_accel (2.0 m/s^2), reject_above (5.0 m/s).
class Motor final : public copper::Sink<MotorCommand> {
 public:
  static constexpr std::array<std::string_view, 1> input_names{"command"};

  explicit Motor(copper::Params& params);
  copper::Status process(const copper::Context& ctx, const MotorCommand& command) override;
  bool freeze(std::vector<uint8_t>& out) const override;
  copper::Status thaw(std::span<const uint8_t> bytes) override;

  const MotorState& state() const { return state_; }

 private:
  double max_speed_;
  double max_accel_;
  double reject_above_;
  MotorState state_;
};

}  // namespace rover
