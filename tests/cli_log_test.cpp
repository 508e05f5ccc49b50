// copper-log as a user runs it: help, usage errors, bad input, exit codes
// on the damage corpus, outputs parsed back, golden outputs, and every
// corpus file through every subcommand without a crash (also under
// ASan/UBSan: ./dev test).
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "fixtures/command.hpp"
#include "fixtures/scratch_dir.hpp"

using testing_tasks::Outcome;

namespace {

const std::filesystem::path kCorpus = COPPER_CORPUS_DIR;
const std::filesystem::path kGolden = COPPER_GOLDEN_DIR;

Outcome tool(const std::string& args) { return testing_tasks::run_command(std::string(COPPER_LOG_PATH) + " " + args); }

// Stdout alone, stderr dropped: what the golden files hold.
Outcome tool_stdout(const std::string& args) {
  return testing_tasks::run_command("cd " + kCorpus.string() + " && " + COPPER_LOG_PATH + " " + args + " 2>/dev/null");
}

std::string corpus(const std::string& name) { return (kCorpus / name).string(); }

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

bool crashed(const Outcome& outcome) {
  return outcome.exit_code < 0 || outcome.exit_code > 3 || outcome.output.find("Sanitizer") != std::string::npos ||
         outcome.output.find("runtime error") != std::string::npos ||
         outcome.output.find("error: internal") != std::string::npos;
}

int lines_in(const std::string& text) { return static_cast<int>(std::count(text.begin(), text.end(), '\n')); }

}  // namespace

TEST_CASE("cli.log.help_on_every_subcommand") {
  const auto top = tool("--help");
  CHECK(top.exit_code == 0);
  for (const char* sub : {"info", "check", "recover", "export", "text", "diff", "trace", "stats"}) {
    CAPTURE(sub);
    const auto help = tool(std::string(sub) + " --help");
    CHECK(help.exit_code == 0);
    CHECK(top.output.find(sub) != std::string::npos);
    CHECK(help.output.find("Usage") != std::string::npos);
  }
}

TEST_CASE("cli.log.usage_errors_exit_2") {
  CHECK(tool("").exit_code == 2);
  CHECK(tool("frobnicate x").exit_code == 2);
  CHECK(tool("export " + corpus("clean.copper") + " --format xml").exit_code == 2);
  CHECK(tool("export " + corpus("clean.copper") + " --from 5 --to 4").exit_code == 2);
  CHECK(tool("text " + corpus("clean.copper") + " --level loud").exit_code == 2);
  const auto unknown_task = tool("export " + corpus("clean.copper") + " --tasks nope");
  CHECK(unknown_task.exit_code == 2);
  CHECK(unknown_task.output == "error: no task \"nope\" in the log\n");
  CHECK(tool("recover " + corpus("clean.copper")).exit_code == 2);  // -o is required
}

TEST_CASE("cli.log.bad_input_one_clear_line") {
  const auto dir = std::filesystem::temp_directory_path();
  const std::pair<std::string, std::string> cases[] = {
      {"/nonexistent/run.copper", "no such file"},
      {dir.string(), "is a directory"},
      {corpus("empty.copper"), "empty file, not a copper log"},
      {corpus("garbage.copper"), "not a copper log"},
      {corpus("wrong_magic.copper"), "not a copper log"},
      {corpus("future_version.copper"), "written by a newer copper: format version 99"},
  };
  for (const auto& [path, reason] : cases) {
    for (const char* sub : {"info", "check", "export", "text", "stats"}) {
      CAPTURE(path);
      CAPTURE(sub);
      const auto outcome = tool(std::string(sub) + " " + path);
      CHECK(outcome.exit_code == 2);  // could not run on that input (docs/exit-codes.md)
      CHECK(lines_in(outcome.output) == 1);
      CHECK(outcome.output.rfind("error: ", 0) == 0);
      CHECK(outcome.output.find(reason) != std::string::npos);
    }
    CHECK(tool("diff " + corpus("clean.copper") + " " + path).exit_code == 2);
  }
}

TEST_CASE("cli.log.check_and_recover_exit_codes_on_the_corpus") {
  const std::map<std::string, int> expected = {{"clean.copper", 0},
                                               {"clean_zstd.copper", 0},
                                               {"unclosed.copper", 3},
                                               {"truncated_record_boundary.copper", 3},
                                               {"truncated_mid_record.copper", 3},
                                               {"header_only.copper", 2},
                                               {"empty.copper", 2},
                                               {"bitflip_payload.copper", 3},
                                               {"bitflip_record_header.copper", 3},
                                               {"zeroed_page.copper", 3},
                                               {"wrong_magic.copper", 2},
                                               {"future_version.copper", 2},
                                               {"garbage.copper", 2}};
  const copper_test::ScratchDir dir("cli_log_recovered");
  const auto out = dir / "recovered.copper";
  for (const auto& [name, code] : expected) {
    CAPTURE(name);
    CHECK(tool("check " + corpus(name)).exit_code == code);
    const auto recovered = tool("recover " + corpus(name) + " -o " + out.string() + " --force");
    INFO(recovered.output);
    CHECK(recovered.exit_code == code);
    if (code != 2) CHECK(tool("check " + out.string()).exit_code == 0);
  }
}

TEST_CASE("cli.log.export.jsonl_parses_back") {
  const auto outcome = tool_stdout("export clean_zstd.copper --format jsonl --tasks text");
  CHECK(outcome.exit_code == 0);
  std::istringstream in(outcome.output);
  uint64_t id = 0;
  for (std::string line; std::getline(in, line); ++id) {
    const auto cl = nlohmann::json::parse(line);
    CHECK(cl["id"] == id);
    CHECK(cl["slots"].size() == 1);
    CHECK(cl["slots"]["text"]["message"]["text"].get<std::string>().rfind("n=", 0) == 0);
  }
  CHECK(id == 200);
}

TEST_CASE("cli.log.export.json_to_file_is_one_document") {
  const copper_test::ScratchDir dir("cli_log_export");
  const auto path = dir / "export.json";
  const auto outcome = tool("export " + corpus("unclosed.copper") + " -o " + path.string());
  CHECK(outcome.exit_code == 0);
  CHECK(outcome.output.find("warning: ") != std::string::npos);  // not closed cleanly
  const auto doc = nlohmann::json::parse(read_file(path));
  CHECK(doc["copperlists"].size() == 150);
  CHECK(doc["copperlists"][149]["id"] == 149);
}

TEST_CASE("cli.log.trace_parses_back") {
  const copper_test::ScratchDir dir("cli_log_trace");
  const auto path = dir / "trace.json";
  const auto outcome = tool("trace " + corpus("clean.copper") + " -o " + path.string());
  CHECK(outcome.exit_code == 0);
  CHECK(outcome.output.find("1000 spans of 200 copperlists, 200 flows") != std::string::npos);
  const auto trace = nlohmann::json::parse(read_file(path));
  CHECK(trace["displayTimeUnit"] == "ns");
  CHECK(trace["traceEvents"].size() == 1000 + 200 * 5 + 5 * 2 + 1);
}

TEST_CASE("cli.log.diff_exit_codes") {
  CHECK(tool("diff " + corpus("clean.copper") + " " + corpus("clean_zstd.copper")).exit_code == 0);
  CHECK(tool("diff " + corpus("clean.copper") + " " + corpus("bitflip_payload.copper")).exit_code == 1);
  const auto json = tool_stdout("diff clean.copper truncated_mid_record.copper --json");
  CHECK(json.exit_code == 1);
  CHECK(nlohmann::json::parse(json.output)["only_in_a"] == 40);
}

TEST_CASE("cli.log.golden_outputs") {
  std::istringstream cases(read_file(kGolden / "cases.txt"));
  int count = 0;
  for (std::string line; std::getline(cases, line);) {
    if (line.empty() || line[0] == '#') continue;
    const size_t bar1 = line.find('|'), bar2 = line.find('|', bar1 + 1);
    const std::string file = line.substr(0, bar1);
    CAPTURE(file);
    const auto outcome = tool_stdout(line.substr(bar2 + 1));
    CHECK(outcome.exit_code == std::stoi(line.substr(bar1 + 1, bar2 - bar1 - 1)));
    CHECK(outcome.output == read_file(kGolden / file));
    ++count;
  }
  CHECK(count == 10);
}

TEST_CASE("cli.log.every_corpus_file_through_every_subcommand") {
  const copper_test::ScratchDir dir("cli_log_any");
  const auto out = dir / "any.out";
  int runs = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kCorpus)) {
    if (entry.path().extension() != ".copper") continue;
    const std::string log = entry.path().string();
    const std::string commands[] = {"info " + log,
                                    "info --json " + log,
                                    "check " + log,
                                    "check --json " + log,
                                    "recover " + log + " -f -o " + out.string(),
                                    "export " + log,
                                    "export --format jsonl --metadata " + log,
                                    "export --format csv --no-blobs " + log,
                                    "text " + log,
                                    "text --json --level debug " + log,
                                    "diff " + corpus("clean.copper") + " " + log,
                                    "diff --timing --json " + log + " " + log,
                                    "trace -o " + out.string() + " " + log,
                                    "stats " + log,
                                    "stats --json --from 3 --to 150 " + log};
    for (const auto& command : commands) {
      CAPTURE(command);
      // stdout dropped, stderr kept: a sanitizer report goes there
      const auto outcome =
          testing_tasks::run_command(std::string("{ ") + COPPER_LOG_PATH + " " + command + " >/dev/null; }");
      INFO(outcome.output);
      CHECK_FALSE(crashed(outcome));
      ++runs;
    }
  }
  CHECK(runs == 17 * 15);
  std::filesystem::remove(out);
}
