// copper-log info (tools/info.cpp).
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "copper/log/reader.hpp"
#include "fixtures/log_tool.hpp"
#include "fixtures/odd_ids_log.hpp"
#include "info.hpp"

using namespace copper::logtool;

TEST_CASE("log.info.facts_of_a_clean_log") {
  auto reader = copper::log::LogReader::open(testing_tasks::corpus_file("clean_zstd.copper"));
  REQUIRE(reader.ok());
  const auto info = log_info(*reader);
  CHECK(info["format_version"] == copper::log::kFormatVersion);
  CHECK(info["run_id"] == "c0ffee00c0ffee01c0ffee02c0ffee03");
  CHECK(info["created_utc"] == "2023-11-14T22:13:20.000000000Z");
  CHECK(info["clean_close"] == true);
  CHECK(info["copperlists"]["count"] == 200);
  CHECK(info["copperlists"]["duration_ns"] == 1'990'000'000);
  CHECK(info["graph"]["tasks"].size() == 5);
  CHECK(info["graph"]["connections"][0] == nlohmann::json::parse(R"({"from": "a", "to": "chat", "input": "in0"})"));
  CHECK(info["graph"]["message_types"][3]["type"] == "testing_tasks::Text");
  CHECK(info["streams"]["copperlists"]["records"] == 4);
  CHECK(info["compression_ratio"].get<double>() > 1.5);
  CHECK(info["durable_watermark"]["copperlists"] == 200);
  CHECK(info["keyframes"] == 4);
  const std::string text = info_text(info);
  CHECK(text.find("closed:     cleanly") != std::string::npos);
}

TEST_CASE("log.info.unclosed_log") {
  const auto run = testing_tasks::run_tool([](Io io) {
    return run_info({testing_tasks::corpus_file("unclosed.copper"), true}, io);
  });
  CHECK(run.code == 0);
  const auto info = nlohmann::json::parse(run.out);
  CHECK(info["clean_close"] == false);
  CHECK(info["end_reason"].is_null());
  CHECK(info["copperlists"]["last_id"] == 149);
  const auto missing = testing_tasks::run_tool([](Io io) { return run_info({"/nonexistent.copper", false}, io); });
  CHECK(missing.code == kExitCannotRun);
}

// Found by fuzz_log_reader: copperlist times further apart than an int64
// reaches made the duration overflow (undefined behaviour; a wrapped,
// negative duration in a release build).
TEST_CASE("log.regression.info_duration_of_times_far_apart_does_not_overflow") {
  const copper_test::ScratchDir dir("log_info_far_apart");
  const std::vector<uint8_t> value(8, 0);
  const auto path = testing_tasks::write_one_task_log(
      dir, "far_apart.copper",
      {{0, INT64_MIN + 5, {{0, 1, 1}}, {{0, value}}}, {1, INT64_MAX - 5, {{2, 3, 1}}, {{1, value}}}});
  auto reader = copper::log::LogReader::open(path);
  REQUIRE(reader.ok());
  const auto info = copper::logtool::log_info(*reader);
  INFO(info.dump());
  CHECK(info["copperlists"]["first_time_ns"] == INT64_MIN + 5);
  CHECK(info["copperlists"]["last_time_ns"] == INT64_MAX - 5);
  CHECK(info["copperlists"]["duration_ns"].is_null());
  CHECK(copper::logtool::info_text(info).find("duration") == std::string::npos);
}
