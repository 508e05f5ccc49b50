// Replay throughput, serial against parallel in the same process:
// 1. a long rover log (recorded here, policy none): CL/s of each replay;
// 2. the CPU-pipeline log (8 stateful compute stages on image stripes):
//    target parallel / serial >= 1.8x on 2 cores.
// Each replay compares every output with the recording; a divergence fails
// the benchmark.
#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "copper/registry.hpp"
#include "copper/replay.hpp"
#include "pipeline_tasks.hpp"
#include "record_log.hpp"

namespace {

constexpr int kRepeats = 5;

[[noreturn]] void die(const std::string& message) {
  fmt::print(stderr, "bench_replay: {}\n", message);
  std::exit(1);
}

// CL/s of one replay in the given mode.
double replay_rate(copper::Replay& replay, copper::RunMode mode, uint64_t expected) {
  copper::ReplayOptions options;
  options.mode = mode;
  options.parallel.max_in_flight = 8;
  options.parallel.threads = 2;
  auto outcome = replay.run(options);
  if (!outcome) die(std::string(outcome.error_message()));
  if (!outcome->identical() || outcome->replayed != expected) die("the replay diverged or stopped early");
  return outcome->timing.cls_per_second();
}

void bench_log(const char* name, const std::string& json, uint64_t cycles, const char* target) {
  const auto path = std::filesystem::temp_directory_path() / fmt::format("copper_bench_replay_{}.copper", name);
  bench::record_log(json, path, cycles);
  auto replay = copper::Replay::open(path, copper::Registry::global());
  if (!replay) die(std::string(replay.error_message()));
  // Interleaved, best of kRepeats each: a slow spell of a noisy machine
  // then hits both modes instead of one.
  double serial = 0, parallel = 0;
  for (int r = 0; r < kRepeats; ++r) {
    serial = std::max(serial, replay_rate(*replay, copper::RunMode::serial, cycles));
    parallel = std::max(parallel, replay_rate(*replay, copper::RunMode::parallel, cycles));
  }
  fmt::print("{}: {} copperlists, {:.1f} MB log, best of {}\n", name, cycles,
             static_cast<double>(std::filesystem::file_size(path)) / 1e6, kRepeats);
  fmt::print("  {:<36} {:>9.0f} CL/s\n", "serial replay", serial);
  fmt::print("  {:<36} {:>9.0f} CL/s  speedup {:.2f}x{}\n", "parallel replay (8 in flight, 2 thr)", parallel,
             parallel / serial, target);
  fmt::print("RESULT bench=replay.{} serial_cl_per_s={:.0f} parallel_cl_per_s={:.0f} speedup={:.3f}\n", name, serial,
             parallel, parallel / serial);
  std::filesystem::remove(path);
}

}  // namespace

// An optional argument, "rover" or "cpu_pipeline", runs one log (for profiling).
int main(int argc, char** argv) {
  const std::string only = argc > 1 ? argv[1] : "";
  if (only.empty() || only == "rover")
    bench_log("rover", bench::read_text_file(COPPER_SOURCE_DIR "/examples/rover.json"), 3000, "");
  if (only.empty() || only == "cpu_pipeline")
    bench_log("cpu_pipeline",
              bench::chain_config("bench/stripes", "bench/stripe_stage", "bench/stripe_digest", true), 1500,
              " (target >= 1.80x)");
  return 0;
}
