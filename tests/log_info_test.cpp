// copper-log info (tools/info.cpp).
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "copper/log/reader.hpp"
#include "fixtures/log_tool.hpp"
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
