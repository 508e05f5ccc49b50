// copper-log trace (tools/trace.cpp): Chrome trace-event JSON.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "copper/log/reader.hpp"
#include "fixtures/graph_helpers.hpp"
#include "fixtures/log_tool.hpp"
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
