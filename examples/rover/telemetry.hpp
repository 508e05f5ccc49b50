// rover/telemetry: trip statistics and a digest of what the rover did.
#pragma once

#include <array>

#include <copper/task.hpp>
#include <copper/params.hpp>

#include "rover/messages.hpp"

namespace rover {

struct TelemetryState {
  bool initialized = false;
  int64_t last_stamp_ns = 0;
  double last_x = 0;
  double last_y = 0;
  double distance_m = 0;   // path length of the estimated pose
  double commanded_m = 0;  // integral of the commanded forward speed
  double max_speed_mps = 0;
  uint64_t cycles = 0;
  uint64_t stopped_cycles = 0;
  // FNV-1a over the bit patterns of every pose and command seen: two runs
  // agree on it exactly when they fed this sink exactly the same values.
  uint64_t digest = 0xcbf29ce484222325ULL;
};
BOOST_DESCRIBE_STRUCT(TelemetryState, (),
                      (initialized, last_stamp_ns, last_x, last_y, distance_m, commanded_m, max_speed_mps, cycles,
                       stopped_cycles, digest))

// Inputs: "pose" (rover::Pose2D), "command" (rover::MotorCommand). No params.
// Prints nothing: the numbers are in state() and in every keyframe.
class Telemetry final : public copper::Sink<Pose2D, MotorCommand> {
 public:
  static constexpr std::array<std::string_view, 2> input_names{"pose", "command"};

  copper::Status process(const copper::Context& ctx, const Pose2D& pose, const MotorCommand& command) override;
  bool freeze(std::vector<uint8_t>& out) const override;
  copper::Status thaw(std::span<const uint8_t> bytes) override;

  const TelemetryState& state() const { return state_; }

 private:
  TelemetryState state_;
};

}  // namespace rover
