#include "caterpillar_tasks.hpp"

#include "copper/registry.hpp"

#ifndef CATERPILLAR_PREFIX
#define CATERPILLAR_PREFIX "bench/"
#endif

namespace caterpillar_tasks {
namespace {

class Head : public copper::Source<Payload> {
 public:
  copper::Status process(const copper::Context& ctx, Payload& out) override {
    out.seq = ctx.cl_id();
    for (size_t i = 0; i < out.values.size(); ++i) out.values[i] = static_cast<uint32_t>(ctx.cl_id() + i);
    return {};
  }
};

class Segment : public copper::Task<Payload, Payload> {
 public:
  copper::Status process(const copper::Context&, const Payload& in, Payload& out) override {
    out.seq = in.seq;
    for (size_t i = 0; i < out.values.size(); ++i) out.values[i] = in.values[i] * 3 + 1;
    return {};
  }
};

COPPER_REGISTER_TASK(Head, CATERPILLAR_PREFIX "head");
COPPER_REGISTER_TASK(Segment, CATERPILLAR_PREFIX "segment");

}  // namespace
}  // namespace caterpillar_tasks

#ifdef CATERPILLAR_PLUGIN
#include "copper/plugin.hpp"
COPPER_PLUGIN("caterpillar", "1.0.0");
#endif
