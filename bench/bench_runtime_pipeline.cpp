// Throughput of the parallel executor on two pipelines, each against a
// baseline in the same process:
//
// 1. CPU pipeline: image stripes through 8 compute stages (each a stateful
//    task, so it sees the stripes in order) and a digest sink. Serial vs
//    parallel (2 workers, 8 copperlists in flight): target speedup >= 1.8x
//    on 2 cores. The same stage functions through oneTBB parallel_pipeline
//    with serial_in_order filters and 8 tokens on 2 threads: target ours /
//    TBB >= 0.95x. The three digests must agree.
// 2. Latency-bound chain: 8 stages that each wait about 1 ms (simulated
//    I/O). Serial vs parallel (8 workers, 8 in flight): target speedup
//    >= 0.9 x min(stages, max_in_flight) = 7.2x, over 500 copperlists so
//    that filling and draining the pipeline weighs little (latency_chain).
#include <fmt/format.h>
#include <xxhash.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <thread>
#include <vector>

#include "copper/registry.hpp"
#include "copper/runtime.hpp"
#include "pipeline_tasks.hpp"
#include "tbb_stripe_pipeline.hpp"

namespace {

using bench::chain_config;
using bench::fold_digest;
using bench::g_digest;
using bench::kStages;
using bench::kStripeBytes;
using bench::run_stage;
using bench::fill_stripe;

constexpr uint64_t kStripes = 3000;
constexpr uint32_t kInFlight = 8;
constexpr int kRepeats = 3;

copper::Graph build(const std::string& json) {
  copper::Diagnostics diags;
  auto config = copper::parse_config(json, diags);
  auto graph = config ? copper::Graph::build(*config, copper::Registry::global(), diags) : std::nullopt;
  if (!graph) {
    fmt::print(stderr, "{}", diags.to_string());
    std::exit(1);
  }
  return std::move(*graph);
}

// Seconds for `cycles` copperlists; serial when threads == 0.
double run_copper(copper::Graph& graph, uint32_t threads, uint64_t cycles) {
  copper::ManualClock clock;
  std::unique_ptr<copper::Executor> executor;
  if (threads == 0) {
    executor = std::make_unique<copper::SerialExecutor>(graph, clock);
  } else {
    copper::ParallelOptions options;
    options.max_in_flight = kInFlight;
    options.threads = threads;
    executor = std::make_unique<copper::ParallelExecutor>(graph, clock, options);
  }
  copper::StopConditions stop;
  stop.cycles = cycles;
  const auto report = executor->run(stop);
  if (!report.ok() || report.committed != cycles) {
    fmt::print(stderr, "run failed: {}\n", report.failure ? report.failure->describe() : "short");
    std::exit(1);
  }
  return static_cast<double>(report.wall_time) / 1e9;
}

#if COPPER_HAVE_TBB
// The same stages through oneTBB (tbb_stripe_pipeline.hpp), the source's
// stripe generated on admission.
double run_tbb(uint64_t& digest) {
  struct Token {
    uint64_t seq = 0;
    std::array<std::vector<uint8_t>, kStages + 1> buffers;
  };
  std::vector<Token> tokens(kInFlight);
  for (Token& token : tokens)
    for (auto& buffer : token.buffers) buffer.resize(kStripeBytes);
  digest = 0;
  const auto start = std::chrono::steady_clock::now();
  bench::run_tbb_stripe_pipeline(
      tokens, kStripes, 2,
      [](Token& token, size_t item) {
        token.seq = item;
        fill_stripe(token.seq, token.buffers[0].data());
      },
      [](Token& token, int stage) { run_stage(stage, token.buffers[stage].data(), token.buffers[stage + 1].data()); },
      [&](Token& token) { digest = fold_digest(digest, token.buffers[kStages].data()); });
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}
#endif

void cpu_pipeline() {
  copper::Graph graph = build(chain_config("bench/stripes", "bench/stripe_stage", "bench/stripe_digest", true));
  double serial = 1e18, parallel = 1e18, tbb = 1e18;
  uint64_t serial_digest = 0, parallel_digest = 0, tbb_digest = 0;
  for (int r = 0; r < kRepeats; ++r) {
    serial = std::min(serial, run_copper(graph, 0, kStripes));
    serial_digest = g_digest.load();
    parallel = std::min(parallel, run_copper(graph, 2, kStripes));
    parallel_digest = g_digest.load();
#if COPPER_HAVE_TBB
    tbb = std::min(tbb, run_tbb(tbb_digest));
#endif
  }
  const bool digests_agree = serial_digest == parallel_digest && (tbb == 1e18 || tbb_digest == serial_digest);
  const auto rate = [](double seconds) { return static_cast<double>(kStripes) / seconds; };
  fmt::print("cpu pipeline: {} stripes of {} KiB through {} stages, {} in flight, best of {}\n", kStripes,
             kStripeBytes / 1024, kStages, kInFlight, kRepeats);
  fmt::print("  {:<30} {:>9.0f} stripes/s\n", "serial", rate(serial));
  fmt::print("  {:<30} {:>9.0f} stripes/s  speedup {:.2f}x (target >= 1.80x)\n", "parallel, 2 workers", rate(parallel),
             serial / parallel);
  if (tbb != 1e18)
    fmt::print("  {:<30} {:>9.0f} stripes/s  copper / TBB {:.3f}x (target >= 0.95x)\n",
               "oneTBB parallel_pipeline, 2 thr", rate(tbb), tbb / parallel);
  fmt::print("  digests {}: serial {:016x} parallel {:016x} tbb {:016x}\n", digests_agree ? "agree" : "DIFFER",
             serial_digest, parallel_digest, tbb_digest);
  fmt::print("RESULT bench=runtime.cpu_pipeline serial_per_s={:.0f} parallel_per_s={:.0f} tbb_per_s={:.0f} "
             "speedup={:.3f} copper_over_tbb={:.3f} digests_agree={}\n",
             rate(serial), rate(parallel), tbb != 1e18 ? rate(tbb) : 0.0, serial / parallel,
             tbb != 1e18 ? tbb / parallel : 0.0, digests_agree ? 1 : 0);
  if (!digests_agree) std::exit(1);
}

// The target is about the steady state. A finite run also fills and
// drains the pipeline: with N copperlists through S stages even a perfect
// runtime takes N + S - 1 stage times instead of N * S, so 500 copperlists
// (ideal 7.89x; 200 gave 7.73x) keep that artefact small.
void latency_chain() {
  constexpr uint64_t kCycles = 500;
  copper::Graph graph = build(chain_config("bench/ticks", "bench/wait_1ms", "bench/tick_sink", false));
  const double serial = run_copper(graph, 0, kCycles);
  const double parallel = run_copper(graph, kInFlight, kCycles);
  const double target = 0.9 * std::min<double>(kStages, kInFlight);
  const double ideal = static_cast<double>(kCycles * kStages) / static_cast<double>(kCycles + kStages - 1);
  fmt::print("latency-bound chain: {} stages of ~1 ms, {} cycles\n", kStages, kCycles);
  fmt::print("  {:<30} {:>9.1f} CL/s\n", "serial", static_cast<double>(kCycles) / serial);
  fmt::print("  {:<30} {:>9.1f} CL/s  speedup {:.2f}x (target >= {:.1f}x; fill and drain allow {:.2f}x)\n",
             "parallel, 8 workers, 8 in flight", static_cast<double>(kCycles) / parallel, serial / parallel, target,
             ideal);
  fmt::print("RESULT bench=runtime.latency_chain serial_s={:.3f} parallel_s={:.3f} speedup={:.3f} target={:.1f}\n",
             serial, parallel, serial / parallel, target);
}

}  // namespace

int main() {
  cpu_pipeline();
  latency_chain();
  return 0;
}
