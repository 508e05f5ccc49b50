// Per-cycle overhead of the serial runtime ("caterpillar"): a source and a
// chain of 8 tasks passing a small message. The baseline, run in the same
// process, calls the very same task objects directly and memcpys each
// output into a buffer: the floor any runtime must pay. Printed as ns per
// copperlist and as the runtime/floor ratio (target: at most 2x).
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

#include "copper/registry.hpp"
#include "copper/runtime.hpp"

namespace {

struct Payload {
  uint64_t seq = 0;
  std::array<uint32_t, 6> values{};
};
BOOST_DESCRIBE_STRUCT(Payload, (), (seq, values))

class Head : public copper::Source<Payload> {
 public:
  copper::Status process(const copper::Context& ctx, Payload& out) override {
    out.seq = ctx.cl_id;
    for (size_t i = 0; i < out.values.size(); ++i) out.values[i] = static_cast<uint32_t>(ctx.cl_id + i);
    return {};
  }
};
COPPER_REGISTER_TASK(Head, "bench/head");

class Segment : public copper::Task<Payload, Payload> {
 public:
  copper::Status process(const copper::Context&, const Payload& in, Payload& out) override {
    out.seq = in.seq;
    for (size_t i = 0; i < out.values.size(); ++i) out.values[i] = in.values[i] * 3 + 1;
    return {};
  }
};
COPPER_REGISTER_TASK(Segment, "bench/segment");

constexpr int kChain = 8;
constexpr uint64_t kCycles = 2'000'000;
constexpr int kRepeats = 5;

std::string caterpillar_config() {
  std::string tasks = R"({"id": "head", "type": "bench/head"})";
  std::string connections;
  for (int i = 0; i < kChain; ++i) {
    tasks += fmt::format(R"(, {{"id": "s{}", "type": "bench/segment"}})", i);
    connections += fmt::format(R"({}{{"from": "{}", "to": "s{}"}})", i ? ", " : "", i ? fmt::format("s{}", i - 1) : "head", i);
  }
  return fmt::format(R"({{"tasks": [{}], "connections": [{}]}})", tasks, connections);
}

// The floor: the same virtual process() calls, outputs copied to a buffer.
double bare_loop_ns(copper::Graph& graph) {
  std::vector<copper::TaskBase*> tasks;
  for (uint32_t index : graph.order()) tasks.push_back(graph.tasks()[index].impl.get());
  std::array<Payload, kChain + 1> slots{};
  std::vector<uint8_t> sink(sizeof(Payload) * slots.size());
  const copper::Nanos start = copper::monotonic_now();
  for (uint64_t n = 0; n < kCycles; ++n) {
    copper::Context ctx{n, 0, 0, {}, nullptr};
    tasks[0]->run(ctx, nullptr, &slots[0]);
    for (int i = 1; i <= kChain; ++i) {
      const void* input = &slots[static_cast<size_t>(i - 1)];
      tasks[static_cast<size_t>(i)]->run(ctx, &input, &slots[static_cast<size_t>(i)]);
    }
    std::memcpy(sink.data(), slots.data(), sink.size());
  }
  const copper::Nanos elapsed = copper::monotonic_now() - start;
  if (sink[0] == 0xFF && sink[1] == 0xFF) fmt::print("");  // keep the copy observable
  return static_cast<double>(elapsed) / kCycles;
}

double serial_ns(copper::Graph& graph) {
  copper::ManualClock clock;
  copper::StopConditions stop;
  stop.cycles = kCycles;
  auto report = copper::SerialExecutor(graph, clock).run(stop);
  return static_cast<double>(report.wall_time) / kCycles;
}

}  // namespace

int main() {
  copper::Diagnostics diags;
  auto config = copper::parse_config(caterpillar_config(), diags);
  auto graph = config ? copper::Graph::build(*config, copper::Registry::global(), diags) : std::nullopt;
  if (!graph) {
    fmt::print(stderr, "{}", diags.to_string());
    return 1;
  }
  // Interleave the two so drift on a noisy machine hits both; keep the best.
  double floor = 1e18, serial = 1e18;
  for (int r = 0; r < kRepeats; ++r) {
    floor = std::min(floor, bare_loop_ns(*graph));
    serial = std::min(serial, serial_ns(*graph));
  }
  fmt::print("caterpillar: source + {} tasks, {} cycles, best of {}\n", kChain, kCycles, kRepeats);
  fmt::print("{:<24} {:>10.1f} ns/CL\n", "bare loop (floor)", floor);
  fmt::print("{:<24} {:>10.1f} ns/CL  ratio {:.2f}x floor (target <= 2.00x)\n", "serial executor", serial,
             serial / floor);
  fmt::print("RESULT bench=runtime.caterpillar floor_ns={:.1f} serial_ns={:.1f} ratio={:.3f}\n", floor, serial,
             serial / floor);
  return 0;
}
