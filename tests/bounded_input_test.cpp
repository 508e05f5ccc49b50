// bounded_input.hpp: every whole-file read and JSON parse of the library
// refuses what would block, read without end, overflow the stack or abort
// (issue 19, items 9 and 11), with a message that says where.
#include "bounded_input.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "fixtures/explained.hpp"
#include "fixtures/scratch_dir.hpp"

namespace {

using copper::detail::kMaxJsonDepth;
using copper::detail::parse_json_bounded;
using copper::detail::read_input_file;
using testing_tasks::contains;

// `levels` arrays, one inside the other.
std::string nested_arrays(size_t levels) { return std::string(levels, '[') + std::string(levels, ']'); }

std::string parse_error(std::string_view text, size_t max_depth = kMaxJsonDepth) {
  auto parsed = parse_json_bounded(text, "a test document", max_depth);
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.status().code() == copper::StatusCode::invalid_argument);
  return std::string(parsed.error_message());
}

}  // namespace

TEST_CASE("input.json.depth_up_to_the_limit_parses_one_past_it_is_refused") {
  auto at_limit = parse_json_bounded(nested_arrays(kMaxJsonDepth), "a test document");
  REQUIRE_MESSAGE(at_limit.ok(), at_limit.error_message());
  size_t depth = 1;
  for (const nlohmann::json* j = &*at_limit; !j->empty(); j = &j->front()) ++depth;
  CHECK(depth == kMaxJsonDepth);
  const std::string error = parse_error(nested_arrays(kMaxJsonDepth + 1));
  CHECK(contains(error, "nested deeper than " + std::to_string(kMaxJsonDepth) + " levels"));
  CHECK(contains(error, "a test document"));
}

TEST_CASE("input.regression.json_100k_levels_is_an_error_not_a_stack_overflow") {
  CHECK(contains(parse_error(nested_arrays(100'000)), "nested deeper than"));
  CHECK(contains(parse_error(R"({"doc": )" + nested_arrays(100'000) + "}"), "at doc[0]"));
}

TEST_CASE("input.json.errors_name_the_path_of_the_value") {
  CHECK(contains(parse_error(R"({"tasks": [{"id": "a"}, {"params": {"deep": [[[1]]]}}]})", 5),
                 "nested deeper than 5 levels at tasks[1].params.deep[0]"));
  CHECK(contains(parse_error(R"({"list": [1, 2, 1e400]})"), "at list[2]"));
  CHECK(contains(parse_error(R"({"list": [1, 2, 1e400]})"), "1e400"));
  CHECK(contains(parse_error(R"([[1, [2]], 1e999])"), "at [1]"));
}

TEST_CASE("input.regression.rate_hz_1e400_is_an_error_not_an_abort") {
  const std::string error = parse_error(R"({"runtime": {"rate_hz": 1e400}})");
  CHECK(contains(error, "runtime.rate_hz"));
  CHECK(contains(error, "number overflow"));
}

TEST_CASE("input.json.malformed_json_gives_line_and_column") {
  CHECK(contains(parse_error("{\"tasks\": [\n"), "malformed JSON at line 2"));
  CHECK(contains(parse_error("{\"a\": 1} trailing"), "malformed JSON at line 1"));
}

TEST_CASE("input.json.documents_parse_as_nlohmann_parses_them") {
  const std::string text = R"({"a": [1, -2, 3.5, "x", null, true, {"b": {}}], "c": 18446744073709551615})";
  auto parsed = parse_json_bounded(text, "a test document");
  REQUIRE_MESSAGE(parsed.ok(), parsed.error_message());
  CHECK(*parsed == nlohmann::json::parse(text));
}

TEST_CASE("input.json.size_limit") {
  const std::string big(copper::detail::kMaxJsonBytes + 1, ' ');
  CHECK(contains(parse_error(big), "over the 64 MiB limit"));
}

TEST_CASE("input.file.reads_a_regular_file") {
  const copper_test::ScratchDir dir("input_file");
  std::ofstream(dir / "config.json") << "{\"a\": 1}";
  auto text = read_input_file(dir / "config.json", "config file");
  REQUIRE_MESSAGE(text.ok(), text.error_message());
  CHECK(*text == "{\"a\": 1}");
  auto missing = read_input_file(dir / "nope.json", "config file");
  CHECK(missing.status().code() == copper::StatusCode::not_found);
}

TEST_CASE("input.regression.config_on_a_fifo_or_dev_zero_is_refused_without_reading") {
  const copper_test::ScratchDir dir("input_fifo");
  const auto fifo = dir / "fifo.json";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  auto from_fifo = read_input_file(fifo, "config file");  // no writer: a blocking open would hang here
  REQUIRE_FALSE(from_fifo.ok());
  CHECK(contains(from_fifo.error_message(), "is a FIFO (named pipe), not a config file"));
  auto from_zero = read_input_file("/dev/zero", "config file");
  REQUIRE_FALSE(from_zero.ok());
  CHECK(contains(from_zero.error_message(), "is a character device"));
  auto from_dir = read_input_file(dir.path(), "config file");
  REQUIRE_FALSE(from_dir.ok());
  CHECK(contains(from_dir.error_message(), "is a directory"));
}

TEST_CASE("input.file.size_limit") {
  const copper_test::ScratchDir dir("input_size");
  const auto path = dir / "big.json";
  std::ofstream(path) << "x";
  std::filesystem::resize_file(path, copper::detail::kMaxInputFileBytes + 1);  // sparse: no 16 MiB written
  auto text = read_input_file(path, "config file");
  REQUIRE_FALSE(text.ok());
  CHECK(contains(text.error_message(), "over the 16 MiB limit for a config file"));
  std::filesystem::resize_file(path, 100);
  auto small = read_input_file(path, "config file", 99);
  CHECK_FALSE(small.ok());
  CHECK(read_input_file(path, "config file", 100).ok());
}
