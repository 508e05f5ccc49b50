// copper-log diff (tools/diff.cpp): copperlist by copperlist through schemas.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "copper/log/reader.hpp"
#include "diff.hpp"
#include "fixtures/graph_helpers.hpp"
#include "fixtures/log_tool.hpp"
#include "fixtures/recorded_log.hpp"

using namespace copper::logtool;
using testing_tasks::corpus_file;
using testing_tasks::run_tool;

namespace {

DiffResult diff_files(const std::string& a, const std::string& b, bool timing = false) {
  auto ra = copper::log::LogReader::open(a);
  auto rb = copper::log::LogReader::open(b);
  REQUIRE(ra.ok());
  REQUIRE(rb.ok());
  return diff_logs(*ra, *rb, timing);
}

std::string chain_with_step(int step) {
  std::string json(testing_tasks::kTextChainGraph);
  const std::string from = R"("step": 5)";
  json.replace(json.find(from), from.size(), R"("step": )" + std::to_string(step));
  return json;
}

}  // namespace

TEST_CASE("log.diff.same_content_compressed_or_not") {
  const DiffResult result = diff_files(corpus_file("clean.copper"), corpus_file("clean_zstd.copper"), true);
  CHECK(result.same());
  CHECK(result.compared == 200);
  CHECK_FALSE(result.first);
  CHECK(result.timing_a.tasks.at("acc").count() == 200);
  CHECK(result.timing_b.end_to_end.count() == 200);
}

TEST_CASE("log.diff.missing_copperlists") {
  const DiffResult result = diff_files(corpus_file("clean.copper"), corpus_file("zeroed_page.copper"));
  CHECK_FALSE(result.same());
  CHECK(result.compared == 187);
  CHECK(result.differing == 0);
  CHECK(result.only_a == 13);
  REQUIRE(result.first);
  CHECK(result.first->cl_id == 88);
  CHECK(result.first->field == "copperlist");
}

TEST_CASE("log.diff.first_divergence_names_task_and_field") {
  const testing_tasks::RecordedLog a(chain_with_step(5), "log_diff_a", 20);
  const testing_tasks::RecordedLog b(chain_with_step(6), "log_diff_b", 20);
  const DiffOptions options{a.path.string(), b.path.string(), false, true};
  const auto run = run_tool([&](Io io) { return run_diff(options, io); });
  CHECK(run.code == kExitFailed);
  const auto json = nlohmann::json::parse(run.out);
  CHECK(json["same"] == false);
  CHECK(json["compared"] == 20);
  CHECK(json["differing"] == 19);  // copperlist 0 counts 0 in both
  CHECK(json["first_divergence"] ==
        nlohmann::json::parse(R"({"cl_id": 1, "task": "a", "field": "value", "a": 5, "b": 6})"));
  CHECK(json["differing_per_task"]["text"] == 19);
  const auto text = run_tool([&](Io io) { return run_diff({a.path.string(), b.path.string(), false, false}, io); });
  CHECK(text.out.find("first divergence: copperlist 1, task \"a\", field value: a 5, b 6") != std::string::npos);
  CHECK(text.out.find("verdict: DIFFERENT") != std::string::npos);
}

TEST_CASE("log.diff.unreadable_input_exits_2") {
  const auto run = run_tool([](Io io) {
    return run_diff({corpus_file("clean.copper"), corpus_file("garbage.copper"), false, false}, io);
  });
  CHECK(run.code == kExitCannotRun);
  CHECK(run.err.find("not a copper log") != std::string::npos);
  const auto same = run_tool([](Io io) {
    return run_diff({corpus_file("clean.copper"), corpus_file("clean.copper"), true, false}, io);
  });
  CHECK(same.code == kExitOk);
  CHECK(same.out.find("end to end") != std::string::npos);
}

TEST_CASE("log.diff.two_recordings_differ_only_in_timing") {
  const testing_tasks::RecordedLog a(chain_with_step(5), "log_diff_same_a", 10);
  const testing_tasks::RecordedLog b(chain_with_step(5), "log_diff_same_b", 10);
  CHECK(diff_files(a.path.string(), b.path.string()).same());
  const DiffResult timed = diff_files(a.path.string(), b.path.string(), true);
  CHECK_FALSE(timed.same());
  REQUIRE(timed.first);
  CHECK(timed.first->cl_id == 0);
  CHECK(timed.first->field == "time_ns");
}
