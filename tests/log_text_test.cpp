// copper-log text (tools/text.cpp): text logs rebuilt as lines.
#include <doctest/doctest.h>

#include <algorithm>
#include <sstream>

#include <nlohmann/json.hpp>

#include "copper/log/reader.hpp"
#include "fixtures/log_tool.hpp"
#include "text.hpp"

using namespace copper::logtool;
using testing_tasks::corpus_file;
using testing_tasks::run_tool;

TEST_CASE("log.text.lines_rebuilt_with_time_level_task_and_copperlist") {
  auto reader = copper::log::LogReader::open(corpus_file("clean.copper"));
  REQUIRE(reader.ok());
  const auto lines = text_lines(*reader);
  REQUIRE(lines.size() == 200);
  CHECK(line_text(lines[0]) == "1.000000000 INFO  chat cl 0: value=0 half=0.0 tag=ok\n");
  CHECK(line_text(lines[3]) == "1.030000000 INFO  chat cl 3: value=15 half=7.5 tag=ok\n");
  CHECK(lines[199].cl_id == 199);
  CHECK(line_json(lines[1])["time_ns"] == 1'010'000'000);
  CHECK(line_json(lines[1])["level"] == "info");
}

TEST_CASE("log.text.filters_and_lost_copperlists") {
  auto warn = run_tool([](Io io) {
    return run_text({corpus_file("clean.copper"), copper::log::TextLevel::warn, "", false}, io);
  });
  CHECK(warn.code == 0);
  CHECK(warn.out.empty());
  auto task = run_tool([](Io io) { return run_text({corpus_file("clean.copper"), std::nullopt, "chat", true}, io); });
  CHECK(std::count(task.out.begin(), task.out.end(), '\n') == 200);
  auto unknown = run_tool([](Io io) {
    return run_text({corpus_file("clean.copper"), std::nullopt, "nope", false}, io);
  });
  CHECK(unknown.code == kExitCannotRun);
  CHECK(unknown.err == "error: no task \"nope\" in the log\n");
  // The version 1 zeroed_page lost the text of 94..106 and the copperlists
  // 95..107: the entry of copperlist 107 survives, without its copperlist's time.
  auto damaged = run_tool([](Io io) {
    return run_text({corpus_file("v1/zeroed_page.copper"), std::nullopt, "", false}, io);
  });
  CHECK(damaged.out.find("- INFO  chat cl 107: value=535") != std::string::npos);
  CHECK(damaged.out.find("cl 100:") == std::string::npos);
  CHECK(parse_level("warn") == copper::log::TextLevel::warn);
  CHECK_FALSE(parse_level("loud"));
}
