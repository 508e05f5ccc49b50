// mybot's messages: plain structs, described so that copper can encode,
// hash, record, export and compare them without more code.
#pragma once

#include <cstdint>
#include <string>

#include <copper/message.hpp>

namespace mybot {

struct BatteryReading {
  int64_t stamp_ns = 0;
  double volts = 0;
  double amps = 0;
};
BOOST_DESCRIBE_STRUCT(BatteryReading, (), (stamp_ns, volts, amps))

struct WheelTicks {
  int64_t stamp_ns = 0;
  int32_t left = 0;
  int32_t right = 0;
};
BOOST_DESCRIBE_STRUCT(WheelTicks, (), (stamp_ns, left, right))

struct BatteryState {
  double volts = 0;         // low-pass filtered
  double charge = 0;        // 0..1, from the filtered voltage
  bool low = false;
};
BOOST_DESCRIBE_STRUCT(BatteryState, (), (volts, charge, low))

struct Speed {
  double metres_per_second = 0;
  double turn_rate = 0;     // rad/s
};
BOOST_DESCRIBE_STRUCT(Speed, (), (metres_per_second, turn_rate))

// Every field a message carries must be listed in BOOST_DESCRIBE_STRUCT:
// one left out is neither recorded nor compared. check_message fails to
// compile on a field type copper cannot carry.
static_assert(copper::check_message<BatteryReading>());
static_assert(copper::check_message<WheelTicks>());
static_assert(copper::check_message<BatteryState>());
static_assert(copper::check_message<Speed>());

}  // namespace mybot
