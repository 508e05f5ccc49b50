// The processing: a stateful filter (keyframed with freeze/thaw), a
// stateless task, and a sink that logs text.
#include <array>
#include <span>
#include <string_view>
#include <vector>

#include <copper/registry.hpp>
#include <copper/text_log.hpp>

#include "messages.hpp"

namespace mybot {

// The low-pass filter's gain: how much of each new reading it takes in.
constexpr double kFilterGain = 0.2;

// What the filter carries from one copperlist to the next.
struct FilterState {
  bool primed = false;
  double volts = 0;
};
BOOST_DESCRIBE_STRUCT(FilterState, (), (primed, volts))

// Low-pass filters the battery voltage and turns it into a charge estimate.
// Params: "empty" (volts at 0 %, 11.0), "full" (volts at 100 %, 12.6).
class BatteryFilter final : public copper::Task<BatteryState, BatteryReading> {
 public:
  explicit BatteryFilter(copper::Params& params)
      : empty_(params.get_or("empty", 11.0)), full_(params.get_or("full", 12.6)) {}

  copper::Status process(const copper::Context&, const BatteryReading& in, BatteryState& out) override {
    state_.volts = state_.primed ? state_.volts + kFilterGain * (in.volts - state_.volts) : in.volts;
    state_.primed = true;
    out.volts = state_.volts;
    const double charge = (state_.volts - empty_) / (full_ - empty_);
    out.charge = charge < 0 ? 0 : charge > 1 ? 1 : charge;
    out.low = out.charge < 0.2;
    return {};
  }

  bool freeze(std::vector<uint8_t>& out) const override { return copper::freeze_state(state_, out); }
  copper::Status thaw(std::span<const uint8_t> bytes) override { return copper::thaw_state(bytes, state_); }

 private:
  double empty_;
  double full_;
  FilterState state_;
};

// Speed from this copperlist's ticks alone: stateless, so a parallel run
// may process several copperlists through it at once.
// Params: "metres_per_tick" (0.001), "track_width" (0.4), "period" (seconds
// between copperlists, 0.01).
class Odometry final : public copper::Task<Speed, WheelTicks> {
 public:
  static constexpr bool stateless = true;

  explicit Odometry(copper::Params& params)
      : metres_per_tick_(params.get_or("metres_per_tick", 0.001)),
        track_width_(params.get_or("track_width", 0.4)),
        period_(params.get_or("period", 0.01)) {}

  copper::Status process(const copper::Context&, const WheelTicks& in, Speed& out) override {
    const double left = in.left * metres_per_tick_, right = in.right * metres_per_tick_;
    out.metres_per_second = (left + right) / 2.0 / period_;
    out.turn_rate = (right - left) / track_width_ / period_;
    return {};
  }

 private:
  double metres_per_tick_;
  double track_width_;
  double period_;
};

// Where the two branches meet: logs a status line every "every" copperlists
// (100), and a warning when the battery runs low.
class Dashboard final : public copper::Sink<BatteryState, Speed> {
 public:
  static constexpr std::array<std::string_view, 2> input_names{"battery", "speed"};
  static constexpr bool stateless = true;  // nothing kept between copperlists: no keyframe needed

  explicit Dashboard(copper::Params& params) : every_(params.get_or<uint64_t>("every", 100)) {}

  copper::Status process(const copper::Context& ctx, const BatteryState& battery, const Speed& speed) override {
    if (ctx.cl_id() % every_ == 0)
      CU_INFO(ctx, "battery {:.3f} V ({:.0f} %), speed {:.3f} m/s", battery.volts, battery.charge * 100,
              speed.metres_per_second);
    if (battery.low) CU_WARN(ctx, "battery low: {:.2f} V", battery.volts);
    return {};
  }

 private:
  uint64_t every_;
};

COPPER_REGISTER_TASK(BatteryFilter, "mybot/battery_filter");
COPPER_REGISTER_TASK(Odometry, "mybot/odometry");
COPPER_REGISTER_TASK(Dashboard, "mybot/dashboard");

}  // namespace mybot
