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
