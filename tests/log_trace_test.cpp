// copper-log trace (tools/trace.cpp): Chrome trace-event JSON.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "copper/log/reader.hpp"
#include "fixtures/graph_helpers.hpp"
#include "fixtures/log_tool.hpp"
#include "fixtures/odd_ids_log.hpp"
#include "fixtures/recorded_log.hpp"
#include "trace.hpp"

using namespace copper::logtool;

namespace {

nlohmann::json trace_of(const std::string& path, ClRange range, TraceCounts& counts) {
  auto reader = copper::log::LogReader::open(path);
  REQUIRE(reader.ok());
  std::ostringstream out;
  counts = write_trace(*reader, range, out);
  return nlohmann::json::parse(out.str());
}

}  // namespace

TEST_CASE("log.trace.spans_flows_and_tracks") {
  TraceCounts counts;
  const auto trace = trace_of(testing_tasks::corpus_file("clean.copper"), {1, 2}, counts);
  CHECK(counts.copperlists == 2);
  CHECK(counts.spans == 10);
  CHECK(counts.flows == 2);
  std::map<std::string, int> phases;
  std::map<int, std::string> thread_names;
  for (const auto& e : trace["traceEvents"]) {
    ++phases[e["ph"].get<std::string>()];
    if (e["name"] == "thread_name") thread_names[e["tid"].get<int>()] = e["args"]["name"];
  }
  CHECK(phases["X"] == 10);
  CHECK(phases["s"] == 2);
  CHECK(phases["t"] == 6);
  CHECK(phases["f"] == 2);
  CHECK(thread_names.size() == 5);
  CHECK(thread_names[1] == "a");
  // Copperlist 1 starts at 1.01 s: the first span is the time origin; task
  // "chat" ran 1000 ns after "a" for 500 ns (microseconds, exact).
  const auto& first = trace["traceEvents"][0];
  CHECK(first["name"] == "a");
  CHECK(first["ts"] == 0.0);
  CHECK(first["dur"] == 0.5);
  CHECK(trace["traceEvents"][1]["ts"] == 1.0);
  CHECK(trace["traceEvents"][1]["args"]["cl"] == 1);
}

TEST_CASE("log.trace.parallel_run_never_nests_spans_on_a_track") {
  const testing_tasks::RecordedLog log(testing_tasks::read_rover_config(), "log_trace_parallel", 60, 0, true);
  TraceCounts counts;
  const auto trace = trace_of(log.path.string(), {}, counts);
  CHECK(counts.copperlists == 60);
  std::map<int, std::vector<std::pair<double, double>>> tracks;
  for (const auto& e : trace["traceEvents"])
    if (e["ph"] == "X")
      tracks[e["tid"]].emplace_back(e["ts"].get<double>(), e["ts"].get<double>() + e["dur"].get<double>());
  CHECK(tracks.size() >= 10);
  for (auto& [tid, spans] : tracks) {
    std::sort(spans.begin(), spans.end());
    for (size_t i = 1; i < spans.size(); ++i) CHECK(spans[i].first >= spans[i - 1].second - 1e-9);
  }
}

// Found by fuzz_log_reader: stamps further apart than an int64 reaches (a
// damaged or hand-made log) made the offsets from the time origin overflow
// (undefined behaviour; a wrapped, negative time in a release build).
TEST_CASE("log.regression.trace_stamps_far_apart_do_not_overflow") {
  const copper_test::ScratchDir dir("log_trace_far_apart");
  const std::vector<uint8_t> value(8, 0);
  const auto path = testing_tasks::write_one_task_log(dir, "far_apart.copper",
                                                      {{0, 0, {{INT64_MIN, INT64_MIN + 2000, 1}}, {{0, value}}},
                                                       {1, 1, {{INT64_MAX - 4000, INT64_MAX, 1}}, {{1, value}}}});
  auto reader = copper::log::LogReader::open(path);
  REQUIRE(reader.ok());
  std::ostringstream out;
  const TraceCounts counts = write_trace(*reader, {}, out);
  CHECK(counts.spans == 2);
  INFO(out.str());
  // Copperlist 1 starts 2^64 - 1 - 4000 ns after the origin, and lasts 4 us.
  CHECK(out.str().find(R"("ts":18446744073709547.615,"dur":4.000)") != std::string::npos);
  CHECK(out.str().find(R"("ts":0.000,"dur":2.000)") != std::string::npos);
  CHECK(nlohmann::json::accept(out.str()));
}
