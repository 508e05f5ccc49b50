// A shared object with a task type but no COPPER_PLUGIN entry point: the
// loader must refuse it as "not a copper plugin".
#include "copper/registry.hpp"
#include "copper/task.hpp"

namespace noentry {

struct Tick {
  uint32_t n = 0;
};
BOOST_DESCRIBE_STRUCT(Tick, (), (n))

class Ticker final : public copper::Source<Tick> {
 public:
  copper::Status process(const copper::Context&, Tick& out) override {
    ++out.n;
    return {};
  }
};

COPPER_REGISTER_TASK(Ticker, "noentry/ticker");

}  // namespace noentry
