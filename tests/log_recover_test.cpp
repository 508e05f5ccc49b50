// copper-log recover (tools/recover.cpp): every salvageable corpus file
// becomes a clean, closed log holding exactly what was salvageable.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "check.hpp"
#include "copper/log/reader.hpp"
#include "fixtures/log_tool.hpp"
#include "fixtures/odd_ids_log.hpp"
#include "fixtures/scratch_dir.hpp"
#include "recover.hpp"

using namespace copper::logtool;
using testing_tasks::corpus_file;
using testing_tasks::run_tool;

TEST_CASE("log.recover.corpus_files_become_clean_logs") {
  const copper_test::ScratchDir dir("log_recover_corpus");
  const auto out = dir / "out.copper";
  const nlohmann::json corpus = testing_tasks::expected_corpus();
  for (const auto& [name, expected] : corpus.items()) {
    CAPTURE(name);
    RecoverOptions options{corpus_file(name), out.string(), true, std::nullopt, true};
    const auto run = run_tool([&](Io io) { return run_recover(options, io); });
    INFO(run.err);
    if (expected.contains("open_error") || !expected["metadata"].get<bool>()) {
      CHECK(run.code == kExitCannotRun);
      CHECK(run.err.find("error: ") == 0);
      continue;
    }
    const bool healthy = expected["damage"].empty() && expected["has_footer"].get<bool>();
    CHECK(run.code == (healthy ? kExitOk : kExitDamaged));
    const auto report = nlohmann::json::parse(run.out);
    CHECK(report["written"]["copperlists"] == expected["copperlists"]);
    CHECK(report["written"]["text_entries"] == expected["text_entries"]);
    CHECK(report["written"]["keyframes"] == expected["keyframes"].size());

    auto reader = copper::log::LogReader::open(out);
    REQUIRE(reader.ok());
    const Health health = assess(*reader);
    CHECK(health.verdict == HealthVerdict::healthy);
    CHECK(health.clean_close);
    CHECK(health.copperlists == expected["copperlists"]);
    CHECK(nlohmann::json(health.known_gaps) == expected["missing_cls"]);
    CHECK(reader->metadata()["recovered_from"]["path"] == corpus_file(name));
  }
}

TEST_CASE("log.recover.ends_where_ids_go_back") {
  const copper_test::ScratchDir dir("log_recover_odd_ids");
  const auto path = testing_tasks::write_odd_ids_log(dir);
  const auto out = dir / "out.copper";
  RecoverOptions options{path.string(), out.string(), true, std::string("zstd"), false};
  const auto run = run_tool([&](Io io) { return run_recover(options, io); });
  CHECK(run.code == kExitDamaged);
  CHECK(run.out.find("recovered 4 copperlists") != std::string::npos);
  auto reader = copper::log::LogReader::open(out);
  REQUIRE(reader.ok());
  std::vector<uint64_t> ids;
  reader->for_each_copperlist([&](const copper::log::CopperListView& cl) { return ids.push_back(cl.id), true; });
  CHECK(ids == std::vector<uint64_t>{0, 1, 2, 5});  // 3 goes back: the rest is stale
  CHECK(reader->metadata()["logging"]["compress"] == "zstd:3");
}

TEST_CASE("log.recover.refuses_to_overwrite_without_force") {
  const copper_test::ScratchDir dir("log_recover_exists");
  const auto out = dir / "out.copper";
  std::ofstream(out) << "x";
  RecoverOptions options{corpus_file("clean.copper"), out.string(), false, std::nullopt, false};
  const auto run = run_tool([&](Io io) { return run_recover(options, io); });
  CHECK(run.code == kExitCannotRun);
  CHECK(run.err.find("error: ") == 0);
  CHECK(std::filesystem::file_size(out) == 1);
}

namespace {

std::vector<uint64_t> copperlist_ids(const std::filesystem::path& path) {
  auto reader = copper::log::LogReader::open(path);
  REQUIRE_MESSAGE(reader.ok(), reader.error_message());
  std::vector<uint64_t> ids;
  reader->for_each_copperlist([&](const copper::log::CopperListView& cl) { return ids.push_back(cl.id), true; });
  return ids;
}

// check --json of a log, without what names the file.
nlohmann::json check_json(const std::filesystem::path& path) {
  const auto run = run_tool([&](Io io) { return run_check(CheckOptions{path.string(), true}, io); });
  nlohmann::json report = nlohmann::json::parse(run.out);
  CHECK(report["exit_code"] == run.code);
  for (const char* key : {"path", "records", "verified_records", "durable_watermark", "unwritten_tail_bytes"})
    report.erase(key);
  return report;
}

}  // namespace

// Issue 19 item 4: a second recovery forgot the losses the first declared
// and check called its output damaged ("missing copperlist 95..107").
TEST_CASE("log.regression.recovering_a_recovered_log_with_gaps_is_idempotent") {
  const copper_test::ScratchDir dir("log_recover_twice");
  for (const char* name : {"zeroed_page.copper", "bitflip_payload.copper"}) {
    CAPTURE(name);
    const auto once = dir / "once.copper", twice = dir / "twice.copper";
    RecoverOptions first{corpus_file(name), once.string(), true, std::nullopt, false};
    CHECK(run_tool([&](Io io) { return run_recover(first, io); }).code == kExitDamaged);
    RecoverOptions second{once.string(), twice.string(), true, std::nullopt, false};
    const auto again = run_tool([&](Io io) { return run_recover(second, io); });
    INFO(again.out, again.err);
    CHECK(again.code == kExitOk);  // the input is healthy: its gaps are declared losses
    CHECK(again.out.find("were lost before the input was recovered") != std::string::npos);

    const nlohmann::json check_once = check_json(once), check_twice = check_json(twice);
    CHECK(check_once["verdict"] == "healthy");
    CHECK_FALSE(check_once["known_gaps"].empty());
    CHECK(check_twice == check_once);
    CHECK(copperlist_ids(twice) == copperlist_ids(once));
  }
}

// A recovered log damaged again: the part of a gap the metadata declares is
// known, the new part beside it is damage.
TEST_CASE("log.check.gap_next_to_a_known_gap_is_partly_new_damage") {
  Health health;
  health.missing_cls = {{5, 12}, {20, 20}};
  const nlohmann::json metadata = {{"recovered_from", {{"missing_cls", {{7, 9}, {10, 10}, {20, 20}}}}}};
  const copper::logtool::Gaps declared = merge_gaps(metadata["recovered_from"]["missing_cls"].get<Gaps>());
  CHECK(declared == Gaps{{7, 10}, {20, 20}});
  separate_known_gaps(metadata, health);
  CHECK(health.known_gaps == Gaps{{7, 10}, {20, 20}});
  CHECK(health.missing_cls == Gaps{{5, 6}, {11, 12}});
}
