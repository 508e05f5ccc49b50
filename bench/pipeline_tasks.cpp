#include "pipeline_tasks.hpp"

#include <fmt/format.h>
#include <xxhash.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <thread>
#include <vector>

#include "copper/registry.hpp"

namespace bench {

namespace {
constexpr int kPasses = 6;  // per stage: about 20-40 us of work on a stripe
}  // namespace

// The compute kernels start on a 64-byte boundary: their inner loops'
// placement otherwise moved with unrelated changes elsewhere in the binary,
// and with it the serial replay rate by 18% (15.5k against 18.5k CL/s from
// the same source, run_stage at offset 48 against 32 of a cache line).
#define BENCH_KERNEL __attribute__((aligned(64)))


struct Stripe {
  uint64_t seq = 0;
  std::vector<uint8_t> pixels;
};
BOOST_DESCRIBE_STRUCT(Stripe, (), (seq, pixels))

struct Tick {
  uint64_t seq = 0;
};
BOOST_DESCRIBE_STRUCT(Tick, (), (seq))


BENCH_KERNEL void fill_stripe(uint64_t seq, uint8_t* out) {
  uint64_t x = seq * 0x9e3779b97f4a7c15ULL + 1;
  for (size_t i = 0; i < kStripeBytes; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    out[i] = static_cast<uint8_t>(x);
  }
}

// A 3-tap filter, `kPasses` times, different per stage.
BENCH_KERNEL void run_stage(int stage, const uint8_t* in, uint8_t* out) {
  std::array<uint8_t, kStripeBytes> scratch;
  const uint8_t* src = in;
  for (int pass = 0; pass < kPasses; ++pass) {
    uint8_t* dst = pass % 2 == 0 ? out : scratch.data();
    const auto gain = static_cast<uint8_t>(2 * stage + 3 + pass);
    dst[0] = src[0];
    for (size_t i = 1; i + 1 < kStripeBytes; ++i)
      dst[i] = static_cast<uint8_t>(src[i] * gain + src[i - 1] + (src[i + 1] >> 1) + stage);
    dst[kStripeBytes - 1] = src[kStripeBytes - 1];
    src = dst;
  }
  if (src != out) std::copy(src, src + kStripeBytes, out);
}

uint64_t fold_digest(uint64_t digest, const uint8_t* pixels) { return XXH3_64bits_withSeed(pixels, kStripeBytes, digest); }

std::atomic<uint64_t> g_digest{0};

namespace {


class StripeSource : public copper::Source<Stripe> {
 public:
  copper::Status process(const copper::Context& ctx, Stripe& out) override {
    out.seq = ctx.cl_id();
    out.pixels.resize(kStripeBytes);
    fill_stripe(ctx.cl_id(), out.pixels.data());
    return {};
  }
};
COPPER_REGISTER_TASK(StripeSource, "bench/stripes");

class StripeStage : public copper::Task<Stripe, Stripe> {
 public:
  explicit StripeStage(copper::Params& params) : stage_(params.get<int32_t>("stage")) {}
  copper::Status process(const copper::Context&, const Stripe& in, Stripe& out) override {
    out.seq = in.seq;
    out.pixels.resize(kStripeBytes);
    run_stage(stage_, in.pixels.data(), out.pixels.data());
    return {};
  }

 private:
  int stage_;
};
COPPER_REGISTER_TASK(StripeStage, "bench/stripe_stage");

class StripeDigest : public copper::Sink<Stripe> {
 public:
  copper::Status start(const copper::Context&) override {
    digest_ = 0;
    return {};
  }
  copper::Status process(const copper::Context&, const Stripe& in) override {
    digest_ = fold_digest(digest_, in.pixels.data());
    g_digest.store(digest_, std::memory_order_relaxed);
    return {};
  }

 private:
  uint64_t digest_ = 0;
};
COPPER_REGISTER_TASK(StripeDigest, "bench/stripe_digest");

class TickSource : public copper::Source<Tick> {
 public:
  copper::Status process(const copper::Context& ctx, Tick& out) override {
    out.seq = ctx.cl_id();
    return {};
  }
};
COPPER_REGISTER_TASK(TickSource, "bench/ticks");

// Simulated I/O: blocks about 1 ms, like a driver waiting on a device.
class WaitStage : public copper::Task<Tick, Tick> {
 public:
  copper::Status process(const copper::Context&, const Tick& in, Tick& out) override {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    out.seq = in.seq;
    return {};
  }
};
COPPER_REGISTER_TASK(WaitStage, "bench/wait_1ms");

class TickSink : public copper::Sink<Tick> {
 public:
  copper::Status process(const copper::Context&, const Tick&) override { return {}; }
};
COPPER_REGISTER_TASK(TickSink, "bench/tick_sink");

}  // namespace

std::string chain_config(const char* source, const char* stage_type, const char* sink, bool stage_param,
                         const std::string& logging) {
  std::string tasks = fmt::format(R"({{"id": "src", "type": "{}"}})", source);
  std::string connections;
  for (int i = 0; i < kStages; ++i) {
    const std::string params = stage_param ? fmt::format(R"(, "params": {{"stage": {}}})", i) : "";
    tasks += fmt::format(R"(, {{"id": "s{}", "type": "{}"{}}})", i, stage_type, params);
    connections += fmt::format(R"({}{{"from": "{}", "to": "s{}"}})", i ? ", " : "", i ? fmt::format("s{}", i - 1) : "src", i);
  }
  tasks += fmt::format(R"(, {{"id": "sink", "type": "{}"}})", sink);
  connections += fmt::format(R"(, {{"from": "s{}", "to": "sink"}})", kStages - 1);
  return fmt::format(R"({{"tasks": [{}], "connections": [{}]{}}})", tasks, connections,
                     logging.empty() ? "" : ", \"logging\": " + logging);
}

}  // namespace bench
