// A task type named like one of the rover's: loaded beside the rover
// plugin (or linked into one program with the rover's tasks) the name is
// registered twice, which must be refused naming both origins, not abort.
#include "copper/plugin.hpp"
#include "copper/registry.hpp"
#include "copper/task.hpp"

namespace duplicate {

struct Reading {
  double x = 0;
};
BOOST_DESCRIBE_STRUCT(Reading, (), (x))

class FakeImu final : public copper::Source<Reading> {
 public:
  copper::Status process(const copper::Context&, Reading& out) override {
    out.x = 1;
    return {};
  }
};

COPPER_REGISTER_TASK(FakeImu, "rover/imu");

}  // namespace duplicate

#ifndef DUPLICATE_LINKED_IN
COPPER_PLUGIN("duplicate", "1.0.0");
#endif
