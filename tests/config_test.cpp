// parse_config: structural checks that need no task registry.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "copper/config.hpp"
#include "fixtures/graph_helpers.hpp"
#include "fixtures/scratch_dir.hpp"

using copper::Diagnostics;
using copper::parse_config;
using testing_tasks::build_graph;

namespace {
std::string only_error(std::string_view json) {
  Diagnostics diags;
  auto config = parse_config(json, diags);
  CHECK_FALSE(config.has_value());
  REQUIRE(diags.all().size() >= 1);
  return diags.all().front().path + ": " + diags.all().front().message;
}
}  // namespace

TEST_CASE("config.parse.minimal_graph") {
  Diagnostics diags;
  auto config = parse_config(testing_tasks::kMinimalGraph, diags);
  REQUIRE(config.has_value());
  CHECK(diags.all().empty());
  REQUIRE(config->tasks.size() == 2);
  CHECK(config->tasks[0].id == "src");
  CHECK(config->tasks[0].params["step"] == 1);
  CHECK(config->connections[0].from == "src");
  CHECK(config->runtime.mode == copper::RunMode::serial);
  CHECK(config->logging.fsync == "bytes:8MiB");
}

TEST_CASE("config.parse.runtime_and_logging") {
  Diagnostics diags;
  auto config = parse_config(R"({"tasks": [{"id": "a", "type": "t"}],
    "runtime": {"mode": "parallel", "cycles": 10, "duration_s": 1.5, "rate_hz": 100, "max_in_flight": 8, "threads": 2},
    "logging": {"path": "x.copper", "fsync": "interval:50", "compress": "zstd:3", "keyframe_interval": 100}})",
                             diags);
  REQUIRE(config.has_value());
  CHECK(config->runtime.mode == copper::RunMode::parallel);
  CHECK(config->runtime.cycles == 10);
  CHECK(config->runtime.duration_s == doctest::Approx(1.5));
  CHECK(config->runtime.max_in_flight == 8);
  CHECK(config->runtime.threads == 2);
  CHECK(config->logging.path == "x.copper");
  CHECK(config->logging.keyframe_interval == 100);
}

TEST_CASE("config.error.malformed_json_names_line_and_column") {
  const std::string message = only_error("{\n  \"tasks\": [\n    {\"id\": \"a\",, }\n  ]\n}");
  CHECK(message.find("malformed JSON at line 3, column 16") != std::string::npos);
}

TEST_CASE("config.error.malformed_json_truncated") {
  CHECK(only_error(R"({"tasks": [)").find("malformed JSON at line 1") != std::string::npos);
}

TEST_CASE("config.error.top_level_not_object") {
  CHECK(only_error("[1, 2]").find("expected an object") != std::string::npos);
}

TEST_CASE("config.error.missing_tasks") {
  CHECK(only_error(R"({"connections": []})") == "tasks: missing required key");
}

TEST_CASE("config.error.duplicate_id") {
  auto built = build_graph(R"({"tasks": [{"id": "a", "type": "test/counter"}, {"id": "a", "type": "test/collect"}]})");
  CHECK_FALSE(built.graph);
  CHECK(built.says("tasks[1].id", "duplicate task id \"a\""));
}

TEST_CASE("config.error.unknown_endpoint") {
  auto built = build_graph(R"({"tasks": [{"id": "src", "type": "test/counter", "params": {"step": 1}},
                                         {"id": "sink", "type": "test/collect"}],
                               "connections": [{"from": "scr", "to": "sink"}, {"from": "src", "to": "snk"}]})");
  CHECK_FALSE(built.graph);
  CHECK(built.says("connections[0].from", "unknown task \"scr\""));
  CHECK(built.says("connections[1].to", "unknown task \"snk\""));
}

TEST_CASE("config.error.unknown_key_is_reported") {
  auto built = build_graph(R"({"tasks": [{"id": "a", "type": "test/counter", "parms": {}}],
                               "runtime": {"max_in_fligt": 3}})");
  CHECK(built.says("tasks[0].parms", "unknown key"));
  CHECK(built.says("runtime.max_in_fligt", "unknown key"));
}

TEST_CASE("config.error.wrong_value_types") {
  auto built = build_graph(R"({"tasks": [{"id": 7, "type": "test/counter", "params": []}],
                               "runtime": {"cycles": -1, "mode": "turbo", "max_in_flight": 0}})");
  CHECK(built.says("tasks[0].id", "expected a string, got an integer"));
  CHECK(built.says("tasks[0].params", "expected an object, got an array"));
  CHECK(built.says("runtime.cycles", "expected a non-negative integer"));
  CHECK(built.says("runtime.mode", "unknown mode \"turbo\""));
  CHECK(built.says("runtime.max_in_flight", "must be between 1 and 4096"));
}

TEST_CASE("config.error.bad_logging_policies") {
  auto built = build_graph(R"({"tasks": [{"id": "a", "type": "t"}],
                               "logging": {"fsync": "bytes:lots", "compress": "zstd:99"}})");
  CHECK(built.says("logging.fsync", "bad fsync policy \"bytes:lots\""));
  CHECK(built.says("logging.compress", "bad compression \"zstd:99\""));
  auto too_long = build_graph(R"({"tasks": [{"id": "a", "type": "t"}], "logging": {"fsync": "interval:86400001"}})");
  CHECK(too_long.says("logging.fsync", "MS from 1 to 86400000"));  // past int64 ms the flusher's wait overflowed
  for (const char* good : {"none", "commit", "bytes:8MiB", "bytes:4096", "interval:20"}) {
    Diagnostics diags;
    std::string json = std::string(R"({"tasks": [{"id": "a", "type": "t"}], "logging": {"fsync": ")") + good + "\"}}";
    CHECK_MESSAGE(parse_config(json, diags).has_value(), good);
  }
}

// Issue 19, item 14: the slab size is a logging option, a size or a number
// of bytes; a bad one names its JSON path and the rule.
TEST_CASE("config.logging.slab_size_is_a_size_or_bytes_and_a_bad_one_names_the_path") {
  for (const auto& [given, parsed] : {std::pair{R"("32MiB")", "32MiB"}, std::pair{"65536", "65536"}}) {
    Diagnostics diags;
    auto config = parse_config(
        std::string(R"({"tasks": [{"id": "a", "type": "t"}], "logging": {"slab_size": )") + given + "}}", diags);
    REQUIRE_MESSAGE(config.has_value(), diags.to_string());
    CHECK(config->logging.slab_size == parsed);
  }
  for (const char* bad : {R"("100KiB")", R"("32KiB")", R"("2GiB")", "0", R"("lots")"}) {
    CAPTURE(bad);
    auto built =
        build_graph(std::string(R"({"tasks": [{"id": "a", "type": "t"}], "logging": {"slab_size": )") + bad + "}}");
    CHECK(built.says("logging.slab_size", "a power of two from 64KiB to 1GiB"));
  }
  CHECK(build_graph(R"({"tasks": [{"id": "a", "type": "t"}], "logging": {"slab_size": true}})")
            .says("logging.slab_size", "expected a string"));
}

TEST_CASE("config.error.every_problem_reported_at_once") {
  Diagnostics diags;
  parse_config(R"({"tasks": [{"id": "a"}, {"type": "x"}], "runtime": {"threads": "two"}})", diags);
  CHECK(diags.all().size() == 3);
}

TEST_CASE("config.load.missing_file_and_directory") {
  Diagnostics diags;
  CHECK_FALSE(copper::load_config("/nonexistent/graph.json", diags));
  CHECK(diags.to_string().find("cannot open config file") != std::string::npos);
  Diagnostics dir_diags;
  CHECK_FALSE(copper::load_config(std::filesystem::temp_directory_path(), dir_diags));
  CHECK(dir_diags.to_string().find("is a directory") != std::string::npos);
}

TEST_CASE("config.load.reads_file") {
  const copper_test::ScratchDir dir("copper_config_test");
  const auto path = dir / "graph.json";
  std::ofstream(path) << testing_tasks::kMinimalGraph;
  Diagnostics diags;
  auto config = copper::load_config(path, diags);
  REQUIRE(config.has_value());
  CHECK(config->tasks.size() == 2);
}

TEST_CASE("config.regression.rate_hz_1e400_is_an_error_not_an_abort") {
  const std::string message = only_error(R"({"tasks": [{"id": "a", "type": "t"}], "runtime": {"rate_hz": 1e400}})");
  CHECK(message.find("number overflow parsing '1e400' at runtime.rate_hz") != std::string::npos);
}

TEST_CASE("config.regression.doc_nested_100k_levels_is_an_error_not_a_crash") {
  const std::string deep = std::string(100'000, '[') + std::string(100'000, ']');
  const std::string message = only_error(R"({"tasks": [{"id": "a", "type": "t"}], "doc": )" + deep + "}");
  CHECK(message.find("nested deeper than 64 levels at doc[0][0]") != std::string::npos);
}

TEST_CASE("config.error.nesting_limit_is_64_levels") {
  auto nested_doc = [](size_t levels) {  // the top object is one level, "doc" the rest
    return R"({"tasks": [{"id": "a", "type": "t"}], "doc": )" + std::string(levels - 1, '[') +
           std::string(levels - 1, ']') + "}";
  };
  Diagnostics diags;
  CHECK(parse_config(nested_doc(64), diags).has_value());
  CHECK(only_error(nested_doc(65)).find("nested deeper than 64 levels") != std::string::npos);
}

TEST_CASE("config.error.duration_and_rate_out_of_range") {
  for (const char* runtime : {R"("duration_s": -1)", R"("duration_s": 1e300)", R"("duration_s": 1e-12)",
                              R"("rate_hz": -5)", R"("rate_hz": 1e-300)", R"("rate_hz": 1e12)"}) {
    CAPTURE(runtime);
    const std::string key = std::string(runtime).substr(1, std::string(runtime).find('"', 1) - 1);
    const std::string message =
        only_error(std::string(R"({"tasks": [{"id": "a", "type": "t"}], "runtime": {)") + runtime + "}}");
    CHECK(message.find("runtime." + key + ": ") == 0);
    CHECK(message.find(key == "duration_s" ? "is not a duration" : "is not a rate") != std::string::npos);
  }
  for (const char* runtime : {R"("duration_s": 0, "rate_hz": 0)", R"("duration_s": 1e-9, "rate_hz": 1e-6)",
                              R"("duration_s": 1e9, "rate_hz": 1e9)"}) {
    Diagnostics diags;
    CHECK_MESSAGE(
        parse_config(std::string(R"({"tasks": [{"id": "a", "type": "t"}], "runtime": {)") + runtime + "}}", diags)
            .has_value(),
        runtime);
  }
}
