#include "rover/telemetry.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cmath>

#include <copper/registry.hpp>

#include "rover/sim.hpp"

namespace rover {

namespace {

void fnv1a(uint64_t& digest, uint64_t value) {
  for (int i = 0; i < 8; ++i) {
    digest ^= (value >> (8 * i)) & 0xFF;
    digest *= 0x100000001b3ULL;
  }
}

void fnv1a(uint64_t& digest, double value) { fnv1a(digest, std::bit_cast<uint64_t>(value)); }

}  // namespace

copper::Status Telemetry::process(const copper::Context&, const Pose2D& pose, const MotorCommand& command) {
  if (state_.initialized) {
    if (pose.stamp_ns <= state_.last_stamp_ns)
      return copper::Status::error(
          fmt::format("pose stamp {} does not advance past {}", pose.stamp_ns, state_.last_stamp_ns));
    const double dt = sim::seconds(pose.stamp_ns - state_.last_stamp_ns);
    state_.distance_m += std::hypot(pose.x - state_.last_x, pose.y - state_.last_y);
    state_.commanded_m += 0.5 * (command.left_mps + command.right_mps) * dt;
  }
  state_.initialized = true;
  state_.last_stamp_ns = pose.stamp_ns;
  state_.last_x = pose.x;
  state_.last_y = pose.y;
  state_.max_speed_mps = std::max(state_.max_speed_mps, std::abs(pose.v));
  ++state_.cycles;
  if (command.emergency_stop) ++state_.stopped_cycles;

  fnv1a(state_.digest, static_cast<uint64_t>(pose.stamp_ns));
  fnv1a(state_.digest, pose.x);
  fnv1a(state_.digest, pose.y);
  fnv1a(state_.digest, pose.theta);
  fnv1a(state_.digest, command.left_mps);
  fnv1a(state_.digest, command.right_mps);
  fnv1a(state_.digest, static_cast<uint64_t>(command.emergency_stop));
  return {};
}

bool Telemetry::freeze(std::vector<uint8_t>& out) const { return copper::freeze_state(state_, out); }

copper::Status Telemetry::thaw(std::span<const uint8_t> bytes) { return copper::thaw_state(bytes, state_); }

COPPER_REGISTER_TASK(Telemetry, "rover/telemetry");

}  // namespace rover
