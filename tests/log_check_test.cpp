// copper-log check (tools/check.cpp): verdicts and problems on the damage
// corpus and on crafted logs.
#include <doctest/doctest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "check.hpp"
#include "fixtures/explained.hpp"
#include "fixtures/log_tool.hpp"
#include "fixtures/odd_ids_log.hpp"
#include "fixtures/scratch_dir.hpp"

using namespace copper::logtool;
using testing_tasks::corpus_file;
using testing_tasks::run_tool;

namespace {

nlohmann::json check_json(const std::string& path) {
  const auto run = run_tool([&](Io io) { return run_check({path, true}, io); });
  INFO(run.err);
  return nlohmann::json::parse(run.out);
}

}  // namespace

TEST_CASE("log.check.corpus_verdicts_match_expected") {
  const nlohmann::json corpus = testing_tasks::expected_corpus();
  for (const auto& [name, expected] : corpus.items()) {
    CAPTURE(name);
    const nlohmann::json got = check_json(corpus_file(name));
    // A header alone (killed_at_start) is an empty log, not an unreadable one.
    const bool empty = !expected.contains("open_error") && expected["copperlists"] == 0 && expected["damage"].empty();
    const bool refused = expected.contains("open_error") || (!expected["metadata"].get<bool>() && !empty);
    const bool healthy = !refused && expected["damage"].empty() && expected["has_footer"].get<bool>();
    CHECK(got["verdict"] == (refused ? "unreadable" : healthy ? "healthy" : "damaged"));
    CHECK(got["exit_code"] == (refused ? copper::kExitCannotRun : healthy ? copper::kExitOk : copper::kExitDamaged));
    if (refused) continue;
    CHECK(got["copperlists"] == expected["copperlists"]);
    CHECK(got["missing_cls"] == expected["missing_cls"]);
    CHECK(got["damage"].size() == expected["damage"].size());
    CHECK(got["clean_close"] == expected["has_footer"]);
    CHECK(got["unwritten_tail_bytes"] == expected["unwritten_tail_bytes"]);
  }
}

TEST_CASE("log.check.text_names_damage_gaps_and_unclean_close") {
  const auto run = run_tool([](Io io) { return run_check({corpus_file("zeroed_page.copper"), false}, io); });
  CHECK(run.code == kExitDamaged);
  CHECK(run.out.find("damaged: offset 32648, 4216 bytes: checksum mismatch") != std::string::npos);
  CHECK(run.out.find("missing copperlists 88..100") != std::string::npos);
  const auto unclosed = run_tool([](Io io) { return run_check({corpus_file("unclosed.copper"), false}, io); });
  CHECK(unclosed.code == kExitDamaged);
  CHECK(unclosed.out.find("not closed cleanly (no footer)") != std::string::npos);
}

TEST_CASE("log.check.ids_going_backwards") {
  const copper_test::ScratchDir dir("log_check_odd_ids");
  const auto path = testing_tasks::write_odd_ids_log(dir);
  const nlohmann::json got = check_json(path.string());
  // Ids 0 1 2 5 3 6: going back from 5 to 3 ends the log (stale data).
  CHECK(got["verdict"] == "damaged");
  CHECK(got["copperlists"] == 4);
  CHECK(got["missing_cls"] == nlohmann::json::parse("[[3, 4]]"));
  CHECK(got["first_cl_id"] == 0);
  CHECK(got["last_cl_id"] == 5);
  REQUIRE(got["damage"].size() == 1);
  CHECK(testing_tasks::contains(got["damage"][0]["reason"].get<std::string>(),
                                "copperlist 3 after copperlist 5: ids go back"));
}

TEST_CASE("log.check.unreadable_files_say_why") {
  const auto missing = run_tool([](Io io) { return run_check({"/nonexistent/x.copper", false}, io); });
  CHECK(missing.code == kExitCannotRun);
  CHECK(missing.err == "error: /nonexistent/x.copper: no such file\n");
  const auto dir = run_tool([](Io io) { return run_check({COPPER_CORPUS_DIR, false}, io); });
  CHECK(dir.code == kExitCannotRun);
  CHECK(dir.err.find("is a directory") != std::string::npos);
  const auto header_only = check_json(corpus_file("header_only.copper"));
  CHECK(header_only["error"].get<std::string>().find("metadata record is unreadable") != std::string::npos);
}
