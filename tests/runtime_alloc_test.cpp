// Steady-state cycles allocate nothing: this binary replaces the global
// operator new to count allocations while a graph runs (and while
// MessageDecoder::append_json writes messages, as the exports do).
//
// A separate executable because the replacement applies to the whole
// program; counting is switched on only between two commits, so setup,
// warm-up (first cycles size their buffers) and shutdown are not counted.
#include <doctest/doctest.h>

#include <array>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <new>
#include <sstream>

#include "copper/log/writer.hpp"
#include "copper/message.hpp"
#include "copper/runtime.hpp"
#include "fixtures/graph_helpers.hpp"
#include "fixtures/scratch_dir.hpp"

namespace {
// Thread-local: only the thread running the cycles is counted. Helper
// threads (the log writer's slab thread, say) may allocate; the per-cycle
// path may not.
thread_local bool g_counting = false;
// Parallel runs: every thread is counted (the executor's workers run the
// cycles), so no log writer, whose helper threads may allocate, is used.
std::atomic<bool> g_counting_all_threads{false};
std::atomic<uint64_t> g_allocations{0};

void* counted_alloc(std::size_t size) {
  if (g_counting || g_counting_all_threads.load(std::memory_order_relaxed))
    g_allocations.fetch_add(1, std::memory_order_relaxed);
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
      g_counting_all_threads = all_threads;
    } else if (cl.id == to_) {
      g_counting = false;
      g_counting_all_threads = false;
      counted = g_allocations.load();
    } else {
      g_counting = cl.id > from_ && cl.id < to_;  // commits may come from any worker thread
    }
    return {};
  }
  uint64_t counted = UINT64_MAX;
  bool all_threads = false;

 private:
  uint64_t from_, to_;
};

// With `log` set, the copperlists also go through a LogWriter (policy none)
// before the counting sink, so its commit path is counted too.
uint64_t allocations_in_steady_state(std::string_view graph_json, const char* log = nullptr,
                                     const copper::ParallelOptions* parallel = nullptr) {
  auto built = testing_tasks::build_graph(graph_json);
  INFO(built.diags.to_string());
  REQUIRE(built.graph);
  // Declared before the writer, so the directory outlives it.
  const copper_test::ScratchDir dir("copper_alloc");
  std::unique_ptr<copper::log::LogWriter> writer;
  const auto path = dir / (log ? log : "unused");
  if (log) {
    copper::log::WriterOptions options;
    options.path = path;
    options.overwrite = true;
    options.fsync = copper::log::FsyncPolicy::none();
    auto created = copper::log::LogWriter::create(options, *built.graph);
    REQUIRE_MESSAGE(created.ok(), created.error_message());
    writer = std::move(created.value());
  }
  copper::ManualClock clock;
  CountingSink counter(50, 550);
  copper::CommitFanout sinks;
  if (writer) sinks.add(writer.get());
  sinks.add(&counter);
  copper::StopConditions stop;
  stop.cycles = 600;
  counter.all_threads = parallel != nullptr;
  std::unique_ptr<copper::Executor> executor;
  if (parallel)
    executor = std::make_unique<copper::ParallelExecutor>(*built.graph, clock, *parallel);
  else
    executor = std::make_unique<copper::SerialExecutor>(*built.graph, clock);
  auto report = executor->run(stop, &sinks);
  REQUIRE(report.ok());
  if (writer) {
    CHECK(writer->close("done").ok());
  }
  return counter.counted;
}

std::string read_rover_config() {
  std::ifstream in(COPPER_SOURCE_DIR "/examples/rover.json");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// What MessageDecoder::append_json walks: numbers, floats, strings (plain
// ASCII), byte runs, nested structs.
struct Reading {
  std::string frame = "camera";
  uint64_t stamp_ns = UINT64_MAX - 1;
  std::vector<float> ranges = std::vector<float>(360, 1.25F);
  std::vector<uint8_t> pixels = std::vector<uint8_t>(4096, 7);
  std::array<double, 3> pose{0.1, -2.0, 3e10};
};
BOOST_DESCRIBE_STRUCT(Reading, (), (frame, stamp_ns, ranges, pixels, pose))

}  // namespace

TEST_CASE("message.alloc.json_text_allocates_nothing_once_its_string_has_grown") {
  auto decoder = copper::MessageDecoder::compile(copper::schema_of<Reading>());
  REQUIRE(decoder.ok());
  std::vector<uint8_t> bytes;
  copper::encode(Reading{}, bytes);
  std::string text;
  for (const auto bytes_as : {copper::BytesAs::numbers, copper::BytesAs::base64, copper::BytesAs::omitted})
    REQUIRE(decoder->append_json(bytes, bytes_as, text).ok());  // grows `text` to fit
  g_allocations = 0;
  g_counting = true;
  bool ok = true;
  for (int i = 0; i < 20; ++i) {
    for (const auto bytes_as : {copper::BytesAs::numbers, copper::BytesAs::base64, copper::BytesAs::omitted}) {
      text.clear();
      ok = decoder->append_json(bytes, bytes_as, text).ok() && ok;
    }
  }
  g_counting = false;
  CHECK(ok);
  CHECK(g_allocations.load() == 0);
  CHECK(text.find("\"frame\":\"camera\"") != std::string::npos);  // the last pass wrote the message
}

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

TEST_CASE("log.alloc.rover_recorded_steady_state_allocates_nothing") {
  const std::string rover = read_rover_config();
  REQUIRE_FALSE(rover.empty());
  CHECK(allocations_in_steady_state(rover, "copper_alloc_rover.copper") == 0);
}

TEST_CASE("runtime.alloc.parallel_steady_state_allocates_nothing") {
  const std::string rover = read_rover_config();
  REQUIRE_FALSE(rover.empty());
  for (uint32_t in_flight : {1u, 8u}) {
    copper::ParallelOptions options;
    options.max_in_flight = in_flight;
    options.threads = 3;
    INFO("max_in_flight " << in_flight);
    CHECK(allocations_in_steady_state(rover, nullptr, &options) == 0);
  }
}
