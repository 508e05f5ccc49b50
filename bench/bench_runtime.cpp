// Per-cycle overhead of the executors ("caterpillar"): a source and a chain
// of 8 tasks passing a small message, then the rover graph.
//
// The baseline, run in the same process, calls the very same task objects
// directly and memcpys each output into a buffer: the floor any runtime must
// pay. A second row adds to it what the design demands of every runtime
// (per-task clock stamps, a checksum per log record) and nothing else. Printed as ns per copperlist and as ratios: serial / floor (target at
// most 2x), parallel with max_in_flight 1 / serial (target at most 1.10x),
// parallel with max_in_flight 8 / serial; each without a log and with a log
// (policy none, the file in $TMPDIR). The rover rows give CL/s, serial
// against parallel.
#include <fmt/format.h>
#include <xxhash.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>
#include <vector>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "caterpillar_tasks.hpp"
#include "copper/log/writer.hpp"
#include "copper/plugin.hpp"
#include "copper/registry.hpp"
#include "copper/runtime.hpp"

namespace {

constexpr int kChain = 8;
#ifdef COPPER_BENCH_STATIC
constexpr const char* kLibrary = "static";
#else
constexpr const char* kLibrary = "shared";
#endif
constexpr uint64_t kCycles = 1'000'000;
constexpr int kRepeats = 5;

using caterpillar_tasks::Payload;

// `prefix`: "bench/" for the tasks linked into this program, "benchplugin/"
// for the same code loaded from a plugin.
std::string caterpillar_config(const std::string& prefix = "bench/") {
  std::string tasks = fmt::format(R"({{"id": "head", "type": "{}head"}})", prefix);
  std::string connections;
  for (int i = 0; i < kChain; ++i) {
    tasks += fmt::format(R"(, {{"id": "s{}", "type": "{}segment"}})", i, prefix);
    connections += fmt::format(R"({}{{"from": "{}", "to": "s{}"}})", i ? ", " : "", i ? fmt::format("s{}", i - 1) : "head", i);
  }
  return fmt::format(R"({{"tasks": [{}], "connections": [{}]}})", tasks, connections);
}

std::vector<copper::TaskBase*> tasks_in_order(copper::Graph& graph) {
  std::vector<copper::TaskBase*> tasks;
  for (uint32_t index : graph.order()) tasks.push_back(graph.tasks()[index].impl.get());
  return tasks;
}

// The floor: the same virtual process() calls, outputs copied to a buffer.
// The runtime checks every task's Status; so does the floor (one compare).
void check(const copper::Status& status) {
  if (!status.ok()) {
    fmt::print(stderr, "task failed in the baseline loop: {}\n", status.message());
    std::exit(1);
  }
}

double bare_loop_ns(copper::Graph& graph) {
  const std::vector<copper::TaskBase*> tasks = tasks_in_order(graph);
  std::array<Payload, kChain + 1> slots{};
  std::vector<uint8_t> sink(sizeof(Payload) * slots.size());
  const copper::Nanos start = copper::monotonic_now();
  for (uint64_t n = 0; n < kCycles; ++n) {
    const copper::Context ctx(n);
    check(tasks[0]->run(ctx, nullptr, &slots[0]));
    for (int i = 1; i <= kChain; ++i) {
      const void* input = &slots[static_cast<size_t>(i - 1)];
      check(tasks[static_cast<size_t>(i)]->run(ctx, &input, &slots[static_cast<size_t>(i)]));
    }
    std::memcpy(sink.data(), slots.data(), sink.size());
  }
  const copper::Nanos elapsed = copper::monotonic_now() - start;
  if (sink[0] == 0xFF && sink[1] == 0xFF) fmt::print("");  // keep the copy observable
  return static_cast<double>(elapsed) / kCycles;
}

// The floor plus the least the design asks of any runtime on top of it
// (design.md: a copperlist holds each task's process start and end; every
// log record is checksummed with XXH3): one clock read before the first
// task and after each, the stamps copied with the outputs, and, when
// `checksum`, XXH3 over the copied bytes. It shows how much of the 2x
// allowance those alone take on this machine.
double stamped_loop_ns(copper::Graph& graph, bool checksum) {
  const std::vector<copper::TaskBase*> tasks = tasks_in_order(graph);
  struct Copied {
    std::array<Payload, kChain + 1> slots{};
    std::array<copper::Nanos, kChain + 2> stamps{};
  } cycle;
  std::vector<uint8_t> sink(sizeof(Copied));
  uint64_t folded = 0;
  const copper::Nanos start = copper::monotonic_now();
  for (uint64_t n = 0; n < kCycles; ++n) {
    const copper::Context ctx(n);
    cycle.stamps[0] = copper::fast_now();
    check(tasks[0]->run(ctx, nullptr, &cycle.slots[0]));
    cycle.stamps[1] = copper::fast_now();
    for (int i = 1; i <= kChain; ++i) {
      const void* input = &cycle.slots[static_cast<size_t>(i - 1)];
      check(tasks[static_cast<size_t>(i)]->run(ctx, &input, &cycle.slots[static_cast<size_t>(i)]));
      cycle.stamps[static_cast<size_t>(i) + 1] = copper::fast_now();
    }
    std::memcpy(sink.data(), &cycle, sink.size());
    if (checksum) folded ^= XXH3_64bits(sink.data(), sink.size());
  }
  const copper::Nanos elapsed = copper::monotonic_now() - start;
  if (folded == 1 && sink[0] == 0xFF) fmt::print("");  // keep the copy and the checksum observable
  return static_cast<double>(elapsed) / kCycles;
}

enum class Mode { serial, parallel1, parallel8 };

const char* name(Mode mode) {
  switch (mode) {
    case Mode::serial: return "serial";
    case Mode::parallel1: return "parallel, in flight 1";
    case Mode::parallel8: return "parallel, in flight 8";
  }
  return "?";
}

std::unique_ptr<copper::Executor> make(Mode mode, copper::Graph& graph, const copper::Clock& clock) {
  if (mode == Mode::serial) return std::make_unique<copper::SerialExecutor>(graph, clock);
  copper::ParallelOptions options;
  options.max_in_flight = mode == Mode::parallel1 ? 1 : 8;
  options.threads = 2;
  return std::make_unique<copper::ParallelExecutor>(graph, clock, options);
}

// ns per copperlist of `cycles` cycles; with `logged`, into a LogWriter
// (policy none) that is closed, and the file removed, afterwards.
double executor_ns(copper::Graph& graph, Mode mode, bool logged, uint64_t cycles) {
  std::unique_ptr<copper::log::LogWriter> writer;
  const auto path = std::filesystem::temp_directory_path() / "copper_bench_runtime.copper";
  if (logged) {
    copper::log::WriterOptions options;
    options.path = path;
    options.overwrite = true;
    options.fsync = copper::log::FsyncPolicy::none();
    auto created = copper::log::LogWriter::create(options, graph);
    if (!created.ok()) {
      fmt::print(stderr, "{}\n", created.error_message());
      std::exit(1);
    }
    writer = std::move(created.value());
  }
  copper::ManualClock clock;
  copper::StopConditions stop;
  stop.cycles = cycles;
  const auto report = make(mode, graph, clock)->run(stop, writer.get());
  if (!report.ok() || report.committed != cycles) {
    fmt::print(stderr, "{} run failed: {} after {} of {} copperlists{}{}\n", name(mode), copper::to_string(report.reason),
               report.committed, cycles, report.failure ? ": " : "",
               report.failure ? report.failure->describe() : std::string());
    std::exit(1);
  }
  if (writer) {
    (void)writer->close("done");
    writer.reset();
    std::filesystem::remove(path);
  }
  return static_cast<double>(report.wall_time) / static_cast<double>(cycles);
}

std::optional<copper::Graph> build(const std::string& json) {
  copper::Diagnostics diags;
  auto config = copper::parse_config(json, diags);
  auto graph = config ? copper::Graph::build(*config, copper::Registry::global(), diags) : std::nullopt;
  if (!graph) fmt::print(stderr, "{}", diags.to_string());
  return graph;
}

// `only`: run just the executor named "serial", "parallel1" or "parallel8"
// (for profiling one of them, warm after the first run); empty: all, and
// the figures.
void caterpillar(copper::Graph& graph, bool logged, const std::string& only) {
  const std::array<Mode, 3> modes{Mode::serial, Mode::parallel1, Mode::parallel8};
  const std::array<const char*, 3> keys{"serial", "parallel1", "parallel8"};
  if (!only.empty()) {
    for (size_t m = 0; m < modes.size(); ++m) {
      if (only != keys[m]) continue;
      double best = 1e18;
      for (int r = 0; r < kRepeats; ++r) best = std::min(best, executor_ns(graph, modes[m], logged, kCycles));
      fmt::print("{}: {:.1f} ns/CL, best of {}\n", keys[m], best, kRepeats);
    }
    return;
  }
  // Interleaved so drift on a noisy machine hits every row; best of kRepeats.
  double floor = 1e18, stamped = 1e18;
  std::array<double, 3> best{1e18, 1e18, 1e18};
  for (int r = 0; r < kRepeats; ++r) {
    floor = std::min(floor, bare_loop_ns(graph));
    stamped = std::min(stamped, stamped_loop_ns(graph, logged));
    for (size_t m = 0; m < modes.size(); ++m) best[m] = std::min(best[m], executor_ns(graph, modes[m], logged, kCycles));
  }
  fmt::print("caterpillar: source + {} tasks, {} cycles, best of {}, {}, {} libcopper\n", kChain, kCycles, kRepeats,
             logged ? "logged (policy none)" : "no log", kLibrary);
  fmt::print("  {:<28} {:>8.1f} ns/CL\n", "bare loop (floor)", floor);
  fmt::print("  {:<28} {:>8.1f} ns/CL  {:.2f}x floor: the design's minimum\n",
             logged ? "+ stamps + XXH3" : "+ stamps", stamped, stamped / floor);
  fmt::print("  {:<28} {:>8.1f} ns/CL  {:.2f}x floor (target <= 2.00x), {:.2f}x the minimum\n", name(Mode::serial),
             best[0], best[0] / floor, best[0] / stamped);
  fmt::print("  {:<28} {:>8.1f} ns/CL  {:.3f}x serial (target <= 1.10x)\n", name(Mode::parallel1), best[1],
             best[1] / best[0]);
  fmt::print("  {:<28} {:>8.1f} ns/CL  {:.3f}x serial\n", name(Mode::parallel8), best[2], best[2] / best[0]);
  fmt::print("RESULT bench=runtime.caterpillar lib={} log={} floor_ns={:.1f} stamped_floor_ns={:.1f} serial_ns={:.1f} "
             "parallel1_ns={:.1f} parallel8_ns={:.1f} serial_over_floor={:.3f} serial_over_stamped={:.3f} "
             "parallel1_over_serial={:.3f} parallel8_over_serial={:.3f}\n",
             kLibrary, logged ? "none" : "off", floor, stamped, best[0], best[1], best[2], best[0] / floor, best[0] / stamped,
             best[1] / best[0], best[2] / best[0]);
}

#ifndef COPPER_BENCH_STATIC
// The plugin boundary: the caterpillar's tasks linked into this program
// against the very same code loaded from a plugin (caterpillar_plugin.so),
// run alternately in one process. Task calls are virtual either way and
// the per-cycle path never crosses into the plugin but to call them, so the
// ratio should be 1 within noise.
void plugin_boundary() {
  auto loaded = copper::load_plugin(COPPER_CATERPILLAR_PLUGIN);
  if (!loaded) {
    fmt::print(stderr, "{}\n", loaded.error_message());
    std::exit(1);
  }
  auto linked = build(caterpillar_config("bench/"));
  auto plugged = build(caterpillar_config("benchplugin/"));
  if (!linked || !plugged) std::exit(1);
  const std::array<Mode, 2> modes{Mode::serial, Mode::parallel1};
  std::array<double, 2> best_linked{1e18, 1e18}, best_plugged{1e18, 1e18};
  for (int r = 0; r < kRepeats; ++r) {
    for (size_t m = 0; m < modes.size(); ++m) {
      best_linked[m] = std::min(best_linked[m], executor_ns(*linked, modes[m], false, kCycles));
      best_plugged[m] = std::min(best_plugged[m], executor_ns(*plugged, modes[m], false, kCycles));
    }
  }
  fmt::print("plugin boundary: caterpillar tasks linked in vs loaded from {}, best of {}, no log\n",
             (*loaded)->path.filename().string(), kRepeats);
  for (size_t m = 0; m < modes.size(); ++m)
    fmt::print("  {:<28} linked {:>7.1f} ns/CL, plugin {:>7.1f} ns/CL  {:.3f}x (target within 3%)\n", name(modes[m]),
               best_linked[m], best_plugged[m], best_plugged[m] / best_linked[m]);
  fmt::print("RESULT bench=runtime.plugin linked_serial_ns={:.1f} plugin_serial_ns={:.1f} serial_ratio={:.3f} "
             "linked_parallel1_ns={:.1f} plugin_parallel1_ns={:.1f} parallel1_ratio={:.3f}\n",
             best_linked[0], best_plugged[0], best_plugged[0] / best_linked[0], best_linked[1], best_plugged[1],
             best_plugged[1] / best_linked[1]);
}
#endif

std::string read_rover_config() {
  std::ifstream in(COPPER_SOURCE_DIR "/examples/rover.json");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void rover() {
  constexpr uint64_t kRoverCycles = 3000;
  // A fresh graph per run: the rover's stateful tasks (the pose filter)
  // refuse to see copperlist 0's stamps again after a whole run.
  const std::string config = read_rover_config();
  auto run = [&config](Mode mode) {
    auto graph = build(config);
    if (!graph) std::exit(1);
    return executor_ns(*graph, mode, false, kRoverCycles);
  };
  double serial = 1e18, parallel = 1e18;
  for (int r = 0; r < 3; ++r) {
    serial = std::min(serial, run(Mode::serial));
    parallel = std::min(parallel, run(Mode::parallel8));
  }
  fmt::print("rover: {} cycles, best of 3, no log\n", kRoverCycles);
  fmt::print("  {:<28} {:>8.0f} CL/s\n", name(Mode::serial), 1e9 / serial);
  fmt::print("  {:<28} {:>8.0f} CL/s  {:.2f}x serial\n", "parallel, in flight 8, 2 thr", 1e9 / parallel, serial / parallel);
  fmt::print("RESULT bench=runtime.rover serial_cl_per_s={:.0f} parallel_cl_per_s={:.0f} speedup={:.3f}\n", 1e9 / serial,
             1e9 / parallel, serial / parallel);
}

}  // namespace

// bench_runtime [caterpillar [serial|parallel1|parallel8 [logged]] | plugin | rover]:
// every part unless one is named; one executor alone when named.
// bench_runtime_static is the same against a static libcopper (no plugin part).
int main(int argc, char** argv) {
  const std::string only = argc > 1 ? argv[1] : "";
  const std::string executor = argc > 2 ? argv[2] : "";
  const bool logged_only = argc > 3 && std::string(argv[3]) == "logged";
  if (only.empty() || only == "caterpillar") {
    auto graph = build(caterpillar_config());
    if (!graph) return 1;
    if (executor.empty() || !logged_only) caterpillar(*graph, false, executor);
    if (executor.empty() || logged_only) caterpillar(*graph, true, executor);
  }
#ifndef COPPER_BENCH_STATIC
  if (only.empty() || only == "plugin") plugin_boundary();
#endif
  if (only.empty() || only == "rover") rover();
  return 0;
}
