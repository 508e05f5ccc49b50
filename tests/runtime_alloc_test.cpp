// Steady-state cycles allocate nothing: this binary replaces the global
// operator new to count allocations while a graph runs.
//
// A separate executable because the replacement applies to the whole
// program; counting is switched on only between two commits, so setup,
// warm-up (first cycles size their buffers) and shutdown are not counted.
#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <new>
#include <sstream>

#include "copper/runtime.hpp"
#include "fixtures/graph_helpers.hpp"

namespace {
std::atomic<bool> g_counting{false};
std::atomic<uint64_t> g_allocations{0};

void* counted_alloc(std::size_t size) {
  if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
}  // namespace

void* operator new(std::size_t size) { return counted_alloc(size); }
void* operator new[](std::size_t size) { return counted_alloc(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace {

// Counts allocations made between the commit of cycle `from` and the
// commit of cycle `to`: whole cycles from+1..to, commits included.
class CountingSink final : public copper::CommitSink {
 public:
  CountingSink(uint64_t from, uint64_t to) : from_(from), to_(to) {}
  copper::Status commit(const copper::CopperList& cl) override {
    if (cl.id == from_) {
      g_allocations = 0;
      g_counting = true;
    } else if (cl.id == to_) {
      g_counting = false;
      counted = g_allocations.load();
    }
    return {};
  }
  uint64_t counted = UINT64_MAX;

 private:
  uint64_t from_, to_;
};

uint64_t allocations_in_steady_state(std::string_view graph_json) {
  auto built = testing_tasks::build_graph(graph_json);
  INFO(built.diags.to_string());
  REQUIRE(built.graph);
  copper::ManualClock clock;
  CountingSink sink(50, 550);
  copper::StopConditions stop;
  stop.cycles = 600;
  auto report = copper::SerialExecutor(*built.graph, clock).run(stop, &sink);
  REQUIRE(report.ok());
  return sink.counted;
}

std::string read_rover_config() {
  std::ifstream in(COPPER_SOURCE_DIR "/examples/rover.json");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

TEST_CASE("runtime.alloc.counter_detects_allocations") {
  // Proves the counter works, so a zero below means something.
  g_allocations = 0;
  g_counting = true;
  auto* p = new int(3);
  g_counting = false;
  delete p;
  CHECK(g_allocations.load() == 1);
}

TEST_CASE("runtime.alloc.serial_steady_state_allocates_nothing") {
  CHECK(allocations_in_steady_state(R"({"tasks": [
      {"id": "a", "type": "test/counter", "params": {"step": 1}},
      {"id": "b", "type": "test/counter", "params": {"step": 3}},
      {"id": "sum", "type": "test/add"},
      {"id": "acc", "type": "test/accumulate"},
      {"id": "out", "type": "test/drop_number"}],
    "connections": [{"from": "a", "to": "sum", "input": "a"}, {"from": "b", "to": "sum", "input": "b"},
                    {"from": "sum", "to": "acc"}, {"from": "acc", "to": "out"}]})") == 0);
}

TEST_CASE("runtime.alloc.rover_steady_state_allocates_nothing") {
  const std::string rover = read_rover_config();
  REQUIRE_FALSE(rover.empty());
  CHECK(allocations_in_steady_state(rover) == 0);
}
