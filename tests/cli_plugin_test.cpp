// Task plugins through the shipped tools, as a user meets them: loading by
// path and by name, each refusal with its one clear line, the log naming
// the code that wrote it, and a replay telling that code has changed.
// The plugins are built by tests/meson.build from tests/plugins/.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "copper/plugin.hpp"
#include "fixtures/command.hpp"
#include "fixtures/scratch_dir.hpp"

namespace {

using testing_tasks::Outcome;

const std::filesystem::path kPluginDir = COPPER_TEST_PLUGIN_DIR;

Outcome record(const std::string& args) { return testing_tasks::run_command(std::string(COPPER_RECORD_PATH) + " " + args); }
Outcome replay(const std::string& args) {
  return testing_tasks::run_command(std::string(COPPER_REAL_REPLAY_PATH) + " " + args);
}
Outcome log_tool(const std::string& args) { return testing_tasks::run_command(std::string(COPPER_LOG_PATH) + " " + args); }

bool has(const Outcome& outcome, const std::string& text) { return outcome.output.find(text) != std::string::npos; }

// ramp -> scale -> drop, with the testgood plugin named as `plugin`.
std::string testgood_config(const std::string& plugin) {
  return nlohmann::json{{"plugins", {plugin}},
                        {"tasks",
                         {{{"id", "ramp"}, {"type", "testgood/ramp"}},
                          {{"id", "scale"}, {"type", "testgood/scale"}},
                          {{"id", "drop"}, {"type", "testgood/drop"}}}},
                        {"connections", {{{"from", "ramp"}, {"to", "scale"}}, {{"from", "scale"}, {"to", "drop"}}}}}
      .dump();
}

void write_file(const std::filesystem::path& path, const std::string& text) { std::ofstream(path) << text; }

nlohmann::json read_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  REQUIRE(in);
  return nlohmann::json::parse(in);
}

// A folder with testgood v1 as "testgood.so" and a config naming it by
// relative path, as a user's project would hold them.
struct Project {
  copper_test::ScratchDir dir{"cli_plugin"};
  std::filesystem::path plugin = dir / "testgood.so";
  std::filesystem::path config = dir / "graph.json";
  std::filesystem::path log = dir / "run.copper";

  Project() {
    std::filesystem::copy_file(kPluginDir / "testgood_v1.so", plugin);
    write_file(config, testgood_config("./testgood.so"));
  }
  void rebuild_with(const char* build) const {
    std::filesystem::copy_file(kPluginDir / build, plugin, std::filesystem::copy_options::overwrite_existing);
  }
  void record_20() const {
    REQUIRE(record("--config " + config.string() + " --cycles 20 -q -o " + log.string()).exit_code == 0);
  }
};

}  // namespace

TEST_CASE("cli.plugin.config_plugins_load_relative_to_the_config_file") {
  const Project project;
  // Run from elsewhere: the path is the config's, not the working directory's.
  const Outcome outcome = record("--config " + project.config.string() + " --check");
  INFO(outcome.output);
  CHECK(outcome.exit_code == 0);
  CHECK(has(outcome, ": ok (3 tasks, 2 connections)"));
}

// A Foxglove view naming a field its type lacks: --check says so, with
// the plugin and the JSON path, as recording would, and records nothing.
TEST_CASE("cli.plugin.check_refuses_a_declared_view_that_does_not_fit_its_type") {
  Project project;
  project.rebuild_with("testgood_badview.so");
  for (const std::string& mode : std::vector<std::string>{"--check", "--cycles 5 -o " + project.log.string()}) {
    CAPTURE(mode);
    const Outcome outcome = record("--config " + project.config.string() + " " + mode);
    INFO(outcome.output);
    CHECK(outcome.exit_code == 2);
    CHECK(has(outcome, "the foxglove view declared for testgood::Value by plugin "));
    CHECK(has(outcome, "testgood.so at /testgood::Value/fields/x: "));
    CHECK(has(outcome, "\"valeu\""));
    CHECK_FALSE(has(outcome, ": ok ("));
    CHECK_FALSE(std::filesystem::exists(project.log));
  }
}

TEST_CASE("cli.plugin.missing_plugin_says_where_it_looked") {
  const Outcome by_name = record("--list-types --plugin no_such_plugin");
  INFO(by_name.output);
  CHECK(by_name.exit_code == 2);
  CHECK(has(by_name, "plugin \"no_such_plugin\": not found as no_such_plugin.so or libno_such_plugin.so in "));
  CHECK(has(by_name, COPPER_PLUGIN_BUILD_DIR));  // $COPPER_PLUGIN_PATH, as the test runner sets it
  const Outcome by_path = record("--list-types --plugin /nonexistent/mybot.so");
  CHECK(by_path.exit_code == 2);
  CHECK(has(by_path, "plugin /nonexistent/mybot.so: no such file"));
}

TEST_CASE("cli.plugin.a_file_that_is_not_a_shared_object_gives_the_loaders_text") {
  const copper_test::ScratchDir dir("cli_plugin_text");
  write_file(dir / "notes.so", std::string(100, 'x') + "\nnot an ELF file, longer than an ELF header\n");
  const Outcome outcome = record("--list-types --plugin " + (dir / "notes.so").string());
  INFO(outcome.output);
  CHECK(outcome.exit_code == 2);
  CHECK(has(outcome, "cannot be loaded: "));
  CHECK(has(outcome, "invalid ELF header"));  // dlerror()'s words
}

TEST_CASE("cli.plugin.a_shared_object_without_entry_point_is_not_a_copper_plugin") {
  const Outcome outcome = record("--list-types --plugin " + (kPluginDir / "noentry.so").string());
  INFO(outcome.output);
  CHECK(outcome.exit_code == 2);
  CHECK(has(outcome, "not a copper plugin: it has no copper_plugin_entry entry point"));
  CHECK(has(outcome, "COPPER_PLUGIN("));
}

TEST_CASE("cli.plugin.another_abi_is_refused_with_both_numbers") {
  const Outcome outcome = record("--list-types --plugin " + (kPluginDir / "otherabi.so").string());
  INFO(outcome.output);
  CHECK(outcome.exit_code == 2);
  CHECK(has(outcome, "built against copper ABI 999"));
  CHECK(has(outcome, fmt::format("has ABI {}", COPPER_ABI_VERSION)));
}

TEST_CASE("cli.plugin.one_type_from_two_plugins_names_both") {
  const Outcome outcome = record("--list-types --plugin rover --plugin " + (kPluginDir / "duplicate.so").string());
  INFO(outcome.output);
  CHECK(outcome.exit_code == 2);
  CHECK(has(outcome, "task type \"rover/imu\" is registered twice: by plugin \"rover\" and by plugin \"duplicate\""));
}

TEST_CASE("cli.plugin.duplicate_types_linked_into_a_program_are_refused_not_aborted") {
  const std::string tool = COPPER_RECORD_DUPLICATE_PATH;
  const Outcome help = testing_tasks::run_command(tool + " --help");
  CHECK(help.exit_code == 0);  // was SIGABRT (134) before anything could run
  const Outcome run = testing_tasks::run_command(tool + " --check --config " COPPER_SOURCE_DIR "/examples/rover.json");
  INFO(run.output);
  CHECK(run.exit_code == 2);
  CHECK(has(run, "task type \"rover/imu\" is registered twice: by the program itself and by the program itself"));
}

TEST_CASE("cli.plugin.unknown_type_lists_the_known_ones_and_how_to_load_more") {
  const copper_test::ScratchDir dir("cli_plugin_unknown");
  write_file(dir / "graph.json", R"({"plugins": ["rover"], "tasks": [{"id": "b", "type": "mybot/battery"}]})");
  const Outcome outcome = record("--config " + (dir / "graph.json").string() + " --check");
  INFO(outcome.output);
  CHECK(outcome.exit_code == 2);
  CHECK(has(outcome, "tasks[0].type: unknown task type \"mybot/battery\" (known types: rover/camera,"));
  CHECK(has(outcome, "plugins loaded: rover ("));
  CHECK(has(outcome, "--plugin PATH or \"plugins\""));
  CHECK(has(outcome, "link the task library whole"));
}

TEST_CASE("cli.plugin.list_types_is_the_same_in_every_tool") {
  const std::string args = "--list-types --plugin " + (kPluginDir / "testgood_v1.so").string();
  const Outcome from_record = record(args);
  CHECK(from_record.exit_code == 0);
  CHECK(has(from_record, "testgood/scale"));
  CHECK(has(from_record, "plugin testgood 1.0.0 ("));
  CHECK(replay(args).output == from_record.output);
  CHECK(log_tool(args).output == from_record.output);
}

TEST_CASE("cli.plugin.the_log_records_each_plugin_and_info_shows_it") {
  const Project project;
  project.record_20();
  const Outcome info = log_tool("info --json " + project.log.string());
  REQUIRE(info.exit_code == 0);
  const auto json = nlohmann::json::parse(info.output);
  REQUIRE(json["plugins"].size() == 1);
  const auto& plugin = json["plugins"][0];
  CHECK(plugin["name"] == "testgood");
  CHECK(plugin["version"] == "1.0.0");
  CHECK(plugin["given"] == "./testgood.so");
  CHECK(plugin["path"] == std::filesystem::canonical(project.plugin).string());
  CHECK(plugin["size"] == std::filesystem::file_size(project.plugin));
  CHECK(plugin["xxh3"] == copper::file_xxh3(project.plugin).value());
  CHECK(plugin["build_id"].get<std::string>().size() == 40);  // GNU ld's default: SHA-1
  CHECK(plugin["copper_version"] == COPPER_VERSION_STRING);
  CHECK(plugin["task_types"] == nlohmann::json({"testgood/drop", "testgood/guard", "testgood/ramp", "testgood/scale"}));
  CHECK(json["graph"]["tasks"][1]["plugin"] == "testgood");
  const Outcome text = log_tool("info " + project.log.string());
  CHECK(has(text, "  plugin    testgood 1.0.0 " + std::filesystem::canonical(project.plugin).string()));
  CHECK(has(text, "scale            testgood/scale               task  (plugin testgood)"));
}

TEST_CASE("cli.plugin.replay_loads_the_recorded_plugin_and_says_when_its_code_changed") {
  const Project project;
  project.record_20();
  const Outcome same = replay(project.log.string() + " -q --mode both");
  INFO(same.output);
  CHECK(same.exit_code == 0);
  CHECK_FALSE(has(same, "changed since the recording"));

  project.rebuild_with("testgood_v2.so");  // the gain goes from 2 to 3
  const auto report = project.log.parent_path() / "report.json";
  const Outcome changed = replay(project.log.string() + " -q --report " + report.string());
  INFO(changed.output);
  CHECK(changed.exit_code == 1);
  CHECK(has(changed, "note: plugin \"testgood\" changed since the recording: version 1.0.0 -> 1.1.0, XXH3 "));
  // Every diverged field of the message is named (in key order).
  CHECK(has(changed, "first divergence: copperlist 1, task \"scale\", field twice: recorded 4, replayed 6; also value: "
                     "recorded 2, replayed 3\n"));
  CHECK(changed.output.find("changed since the recording") < changed.output.find("verdict: DIVERGED"));
  const auto json = read_json(report);
  REQUIRE(json["code_changed"].size() == 1);
  CHECK(json["code_changed"][0]["plugin"] == "testgood");
  CHECK(json["code_changed"][0]["recorded"]["version"] == "1.0.0");
  CHECK(json["code_changed"][0]["loaded"]["version"] == "1.1.0");
  const auto& divergence = json["replays"]["serial"]["first_divergence"];
  CHECK(divergence["field_count"] == 2);
  CHECK(divergence["fields"][1] == nlohmann::json({{"field", "value"}, {"recorded", 2}, {"replayed", 3}}));
}

TEST_CASE("cli.plugin.a_changed_message_type_is_explained_and_can_be_compared_by_shared_fields") {
  const Project project;
  project.record_20();
  project.rebuild_with("testgood_v3.so");  // testgood::Value gains a field "extra"
  const Outcome refused = replay(project.log.string() + " -q");
  INFO(refused.output);
  CHECK(refused.exit_code == 2);
  CHECK(has(refused, "message type testgood::Value (output of \"ramp\") has changed since the recording: field extra "
                     "added (f64); replay with --allow-schema-change"));

  const auto report = project.log.parent_path() / "report.json";
  const Outcome allowed = replay(project.log.string() + " -q --mode both --allow-schema-change --report " + report.string());
  INFO(allowed.output);
  CHECK(allowed.exit_code == 0);  // the shared fields (value, twice) are as recorded
  CHECK(has(allowed, "note: message type testgood::Value (output of \"scale\") changed since the recording: field "
                     "extra added (f64); comparing the 2 fields both versions share"));
  CHECK(has(allowed, "verdict: identical"));
  CHECK(read_json(report)["schema_changes"].size() == 2);  // ramp's and scale's outputs
}

TEST_CASE("cli.plugin.replay_with_plugin_given_uses_it_instead_of_the_recorded_one") {
  const Project project;
  REQUIRE(record("--config " + project.config.string() + " --cycles 10 -q -o " + project.log.string()).exit_code == 0);
  const Outcome outcome = replay(project.log.string() + " -q --plugin " + (kPluginDir / "testgood_v2.so").string());
  INFO(outcome.output);
  CHECK(outcome.exit_code == 1);
  CHECK(has(outcome, "plugin \"testgood\" changed since the recording"));
}

TEST_CASE("cli.plugin.replay_without_the_recorded_plugin_exits_2_naming_it") {
  const Project project;
  REQUIRE(record("--config " + project.config.string() + " --cycles 10 -q -o " + project.log.string()).exit_code == 0);
  std::filesystem::remove(project.plugin);
  const Outcome outcome = replay(project.log.string() + " -q");
  INFO(outcome.output);
  CHECK(outcome.exit_code == 2);
  CHECK(has(outcome, "the log was recorded with plugin \"testgood\" from " +
                         std::filesystem::weakly_canonical(project.plugin).string() + ", which is not there any more"));
  CHECK(has(outcome, "not found as testgood.so or libtestgood.so in "));
}

TEST_CASE("cli.plugin.a_failed_run_is_reproduced_by_replay_and_shown_by_the_log_tools") {
  const Project project;
  // ramp -> scale (x2) -> guard, which fails once the value passes 30: at copperlist 16.
  write_file(project.config, R"({"plugins": ["./testgood.so"], "tasks": [
      {"id": "ramp", "type": "testgood/ramp"}, {"id": "scale", "type": "testgood/scale"},
      {"id": "guard", "type": "testgood/guard", "params": {"limit": 30}}],
    "connections": [{"from": "ramp", "to": "scale"}, {"from": "scale", "to": "guard"}]})");
  for (const char* mode : {"serial", "parallel"}) {
    CAPTURE(mode);
    const Outcome recorded = record("--config " + project.config.string() + " --cycles 100 -q --force --mode " +
                                    std::string(mode) + " -o " + project.log.string());
    CHECK(recorded.exit_code == 1);
    CHECK(has(recorded, "task \"guard\" failed in process at copperlist 16: value 32 is over the limit"));

    const Outcome same = replay(project.log.string() + " -q --mode both");
    INFO(same.output);
    CHECK(same.exit_code == 0);
    CHECK(has(same, "serial replay: reproduced the failure the recording stopped on: task \"guard\" failed in process "
                    "at copperlist 16: value 32 is over the limit"));
    CHECK(has(same, "parallel replay: reproduced the failure"));
    CHECK(has(same, "verdict: identical"));

    const Outcome info = log_tool("info " + project.log.string());
    CHECK(has(info, "stopped:    task \"guard\" failed in process at copperlist 16: value 32 is over the limit"));
    const Outcome text = log_tool("text " + project.log.string());
    CHECK(has(text, "value 32 is over the limit 30"));  // the task's own CU_ERROR, from the failed copperlist
    CHECK(has(text, "task \"guard\" failed in process at copperlist 16"));  // the error event
  }
  // With gain 3 the guard trips at copperlist 11 instead: a changed failure.
  project.rebuild_with("testgood_v2.so");
  const Outcome changed = replay(project.log.string() + " -q");
  INFO(changed.output);
  CHECK(changed.exit_code == 1);
  CHECK(has(changed, "serial replay: error: task \"guard\" failed in process at copperlist 11: value 33"));
  CHECK(has(changed, "the recording stopped on a failure the replay did NOT reproduce: task \"guard\" failed in "
                     "process at copperlist 16"));
}
