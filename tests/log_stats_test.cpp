// copper-log stats (tools/stats.cpp).
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "copper/log/reader.hpp"
#include "fixtures/log_tool.hpp"
#include "stats.hpp"

using namespace copper::logtool;

TEST_CASE("log.stats.process_sizes_rates_latency") {
  auto reader = copper::log::LogReader::open(testing_tasks::corpus_file("clean.copper"));
  REQUIRE(reader.ok());
  const auto json = stats_json(gather_stats(*reader, {}));
  CHECK(json["copperlists"] == 200);
  CHECK(json["copperlists_per_s"].get<double>() == doctest::Approx(100.0));
  // The corpus clock stamps every task 500 ns long, 1000 ns apart.
  CHECK(json["process"]["acc"]["p50_ns"] == 500);
  CHECK(json["process"]["acc"]["max_ns"] == 500);
  CHECK(json["process"]["out"]["count"] == 200);
  CHECK(json["end_to_end"]["max_ns"] == 4500);
  CHECK(json["slots"]["a"]["min_bytes"] == 8);
  CHECK(json["slots"]["a"]["bytes"] == 1600);
  CHECK(json["slots"]["a"]["messages_per_s"].get<double>() == doctest::Approx(100.0));
  CHECK(json["slots"]["text"]["max_bytes"] == 11);  // "n=" + 5 digits, + the u32 length
}

TEST_CASE("log.stats.range_and_text") {
  auto reader = copper::log::LogReader::open(testing_tasks::corpus_file("clean.copper"));
  REQUIRE(reader.ok());
  const LogStats stats = gather_stats(*reader, {10, 19});
  CHECK(stats.copperlists == 10);
  CHECK(*stats.first_time_ns == 1'100'000'000);
  const std::string text = stats_text(stats);
  CHECK(text.find("10 copperlists covering 0.100 s of recorded time (100.0 CL/s)") != std::string::npos);
  CHECK(text.find("end to end") != std::string::npos);
}
