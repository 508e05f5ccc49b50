// A small task plugin for the plugin tests: a ramp source, a scaling task
// whose gain is a compile-time constant, and a sink. Built four times by
// tests/meson.build, standing for code changes: testgood_v1.so (gain 2),
// testgood_v2.so (gain 3), testgood_v3.so (gain 2, and a field added to
// its message type) and testgood_badview.so (v1 with a Foxglove view that
// names a field its type lacks).
#include "copper/foxglove.hpp"
#include "copper/plugin.hpp"
#include "copper/registry.hpp"
#include "copper/task.hpp"
#include "copper/text_log.hpp"

#include <string>

namespace testgood {

struct Value {
  int64_t value = 0;
  int64_t twice = 0;  // 2 * value: a second field that diverges with the first
#ifdef TESTGOOD_EXTRA_FIELD
  double extra = 0;
#endif
};
#ifdef TESTGOOD_EXTRA_FIELD
BOOST_DESCRIBE_STRUCT(Value, (), (value, twice, extra))
#else
BOOST_DESCRIBE_STRUCT(Value, (), (value, twice))
#endif
#ifdef TESTGOOD_BAD_VIEW
COPPER_FOXGLOVE_VIEW(Value, R"({"schema": "foxglove.PoseInFrame", "frame_id": "f", "fields": {"x": "valeu"}})");
#endif

class Ramp final : public copper::Source<Value> {
 public:
  copper::Status process(const copper::Context& ctx, Value& out) override {
    out.value = static_cast<int64_t>(ctx.cl_id());
    out.twice = 2 * out.value;
    return {};
  }
};

class Scale final : public copper::Task<Value, Value> {
 public:
  copper::Status process(const copper::Context&, const Value& in, Value& out) override {
    out.value = in.value * TESTGOOD_GAIN;
    out.twice = 2 * out.value;
    return {};
  }
};

class Drop final : public copper::Sink<Value> {
 public:
  copper::Status process(const copper::Context&, const Value&) override { return {}; }
};

// Fails, with a text-log line first, once its input passes "limit".
class Guard final : public copper::Sink<Value> {
 public:
  explicit Guard(copper::Params& params) : limit_(params.get<int64_t>("limit")) {}
  copper::Status process(const copper::Context& ctx, const Value& in) override {
    if (in.value <= limit_) return {};
    CU_ERROR(ctx, "value {} is over the limit {}", in.value, limit_);
    return copper::Status::error("value " + std::to_string(in.value) + " is over the limit");
  }

 private:
  int64_t limit_;
};

COPPER_REGISTER_TASK(Ramp, "testgood/ramp");
COPPER_REGISTER_TASK(Scale, "testgood/scale");
COPPER_REGISTER_TASK(Drop, "testgood/drop");
COPPER_REGISTER_TASK(Guard, "testgood/guard");

}  // namespace testgood

COPPER_PLUGIN("testgood", TESTGOOD_VERSION);
