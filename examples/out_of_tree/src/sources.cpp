// Two sources standing for drivers: a battery monitor and wheel encoders.
// They read time only from the context (the copperlist's time), so a replay
// sees exactly what the robot saw. A real driver would open its device in
// start(), not in its constructor: `copper-record --check` constructs every
// task.
#include <cmath>

#include <copper/registry.hpp>

#include "messages.hpp"

namespace mybot {

// Simulated at 100 copperlists a second, from the copperlist id alone.
constexpr double kSecondsPerCycle = 0.01;

// Params: "volts" (full charge, 12.6), "drain" (volts lost per second, 0.01).
class BatteryMonitor final : public copper::Source<BatteryReading> {
 public:
  explicit BatteryMonitor(copper::Params& params)
      : full_(params.get_or("volts", 12.6)), drain_(params.get_or("drain", 0.01)) {}

  copper::Status process(const copper::Context& ctx, BatteryReading& out) override {
    const double seconds = static_cast<double>(ctx.cl_id()) * kSecondsPerCycle;
    out.stamp_ns = ctx.time();
    // A sagging voltage with a ripple, as a loaded battery gives.
    out.volts = full_ - drain_ * seconds + 0.05 * std::sin(static_cast<double>(ctx.cl_id()) * 0.7);
    out.amps = 2.0 + 0.5 * std::cos(static_cast<double>(ctx.cl_id()) * 0.3);
    return {};
  }

 private:
  double full_;
  double drain_;
};

// Ticks counted since the last copperlist. Params: "ticks_per_cycle" (20).
class WheelEncoders final : public copper::Source<WheelTicks> {
 public:
  explicit WheelEncoders(copper::Params& params) : step_(params.get_or<int32_t>("ticks_per_cycle", 20)) {}

  copper::Status process(const copper::Context& ctx, WheelTicks& out) override {
    out.stamp_ns = ctx.time();
    out.left = step_;
    out.right = step_ + static_cast<int32_t>(ctx.cl_id() % 3 == 0);  // a slight left turn
    return {};
  }

 private:
  int32_t step_;
};

COPPER_REGISTER_TASK(BatteryMonitor, "mybot/battery");
COPPER_REGISTER_TASK(WheelEncoders, "mybot/wheels");

}  // namespace mybot
