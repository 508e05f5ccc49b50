// Bring your own robot, end to end, as a new user would: install copper
// into a fresh prefix, build examples/out_of_tree against that prefix alone
// (CMake and meson), record it with the installed tools through its
// plugin, replay it, change its code and replay the old log, and meet each
// bad-plugin error. Its own binary (copper_install_tests), run by ./dev
// test in the release tree only: it installs that tree.
#include <doctest/doctest.h>

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "fixtures/command.hpp"

namespace {

namespace fs = std::filesystem;
using testing_tasks::Outcome;

bool has(const Outcome& outcome, const std::string& text) { return outcome.output.find(text) != std::string::npos; }

std::string quoted(const fs::path& path) {
  // Appended piece by piece: g++ 12 at -O3 warns (-Wrestrict) on "'" + string.
  std::string out(1, '\'');
  out.append(path.string());
  out.push_back('\'');
  return out;
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A shell command; World clears the environment of anything that would
// find copper elsewhere than in the prefix.
Outcome shell(const std::string& command) { return testing_tasks::run_command(command); }

// Everything the tests share, made once: the installation, the example's
// two builds, and a recording.
class World {
 public:
  static World& get() {
    static World world;
    return world;
  }

  fs::path root;     // the scratch folder
  fs::path prefix;   // copper installed here
  fs::path libdir;   // prefix / libdir
  fs::path project;  // the copy of examples/out_of_tree
  fs::path log;      // recorded with the CMake build
  std::string install_output, cmake_output, meson_output, record_output;
  int install_code = -1, cmake_code = -1, meson_code = -1, record_code = -1;

  fs::path tool(const char* name) const { return prefix / "bin" / name; }
  // The tools, with the CMake build of mybot on the plugin path.
  Outcome run(const std::string& tool_and_args) const {
    return shell("COPPER_PLUGIN_PATH=" + (project / "build-cmake").string() + " " + (prefix / "bin").string() + "/" +
                 tool_and_args);
  }
  Outcome cmake_build() const { return shell("cmake --build " + quoted(project / "build-cmake") + " 2>&1"); }

  ~World() {
    std::error_code ignored;
    fs::remove_all(root, ignored);
  }

 private:
  World() {
    // No plugin path, no library path: only what the prefix holds is found.
    ::unsetenv("COPPER_PLUGIN_PATH");
    ::unsetenv("LD_LIBRARY_PATH");
    root = fs::temp_directory_path() / ("copper_install_test_" + std::to_string(::getpid()));
    fs::remove_all(root);
    fs::create_directories(root);
    install();
    copy_example();
    build_with_cmake();
    build_with_meson();
    record();
  }

  // meson's staged install: the prefix's layout under a folder of ours. It
  // is relocatable (rpaths, copper.pc, the CMake package are relative), so
  // the staged copy works where it lies.
  void install() {
    const Outcome outcome = testing_tasks::run_command("meson install -C " + quoted(COPPER_BUILD_DIR) +
                                                       " --no-rebuild --quiet --destdir " + quoted(root / "stage"));
    install_output = outcome.output;
    install_code = outcome.exit_code;
    prefix = root / "stage" / fs::path(COPPER_INSTALL_PREFIX).relative_path();
    libdir = prefix / COPPER_INSTALL_LIBDIR;
  }

  void copy_example() {
    project = root / "mybot";
    fs::copy(fs::path(COPPER_SOURCE_DIR) / "examples" / "out_of_tree", project, fs::copy_options::recursive);
  }

  void build_with_cmake() {
    const Outcome outcome = shell("cmake -S " + quoted(project) + " -B " + quoted(project / "build-cmake") +
                                  " -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH=" + quoted(prefix) +
                                  " 2>&1 && cmake --build " + quoted(project / "build-cmake") + " 2>&1");
    cmake_output = outcome.output;
    cmake_code = outcome.exit_code;
  }

  void build_with_meson() {
    const Outcome outcome = shell("PKG_CONFIG_PATH=" + quoted(libdir / "pkgconfig") + " meson setup " +
                                  quoted(project / "build-meson") + " " + quoted(project) + " 2>&1 && ninja -C " +
                                  quoted(project / "build-meson") + " 2>&1");
    meson_output = outcome.output;
    meson_code = outcome.exit_code;
  }

  void record() {
    log = root / "v1.copper";
    const Outcome outcome = run("copper-record --config " + quoted(project / "mybot.json") + " --cycles 1000 -q -o " +
                                quoted(log));
    record_output = outcome.output;
    record_code = outcome.exit_code;
  }
};

}  // namespace

TEST_CASE("install.layout_and_tools_that_run_from_the_prefix") {
  World& world = World::get();
  INFO(world.install_output);
  REQUIRE(world.install_code == 0);
  for (const fs::path& file :
       {world.tool("copper-record"), world.tool("copper-replay"), world.tool("copper-log"),
        world.libdir / ("libcopper.so." + std::to_string(COPPER_ABI)), world.prefix / "include/copper/task.hpp",
        world.prefix / "include/copper/version.hpp", world.prefix / "include/copper/plugin.hpp",
        world.prefix / "include/copper/detail/text_log_wire.hpp", world.libdir / "pkgconfig/copper.pc",
        world.libdir / "cmake/copper/copperConfig.cmake", world.libdir / "cmake/copper/copperConfigVersion.cmake",
        world.libdir / "copper/plugins/rover.so"}) {
    CAPTURE(file);
    CHECK(fs::exists(file));
  }
  // Machinery stays inside: no progress line, no fault-injecting file.
  CHECK_FALSE(fs::exists(world.prefix / "include/copper/progress.hpp"));
  CHECK(read_text(world.prefix / "include/copper/log/file.hpp").find("class FaultyLogFile") == std::string::npos);
  CHECK(read_text(world.libdir / "pkgconfig/copper.pc").find("prefix=${pcfiledir}") != std::string::npos);
  // No LD_LIBRARY_PATH: the rpath is relative to the tool.
  const Outcome version = shell(world.tool("copper-record").string() + " --list-types");
  INFO(version.output);
  CHECK(version.exit_code == 0);
  // The installed rover plugin is found by name, next to the installed libcopper.
  const Outcome rover = shell(world.tool("copper-record").string() + " --check --config " +
                              quoted(world.prefix / "share/copper/examples/rover.json"));
  INFO(rover.output);
  CHECK(rover.exit_code == 0);
}

TEST_CASE("install.out_of_tree_plugin_builds_with_cmake_and_with_meson") {
  World& world = World::get();
  REQUIRE(world.install_code == 0);
  {
    INFO(world.cmake_output);
    CHECK(world.cmake_code == 0);
    CHECK(fs::exists(world.project / "build-cmake/mybot.so"));
  }
  {
    INFO(world.meson_output);
    CHECK(world.meson_code == 0);
    CHECK(fs::exists(world.project / "build-meson/mybot.so"));
  }
  // Nothing of copper's source tree was on either command line or in the
  // generated build files.
  for (const char* file : {"build-cmake/CMakeCache.txt", "build-meson/build.ninja"})
    CHECK(read_text(world.project / file).find(COPPER_SOURCE_DIR "/libcopper") == std::string::npos);
  const Outcome types = world.run("copper-record --list-types --plugin " + quoted(world.project / "build-meson/mybot.so"));
  CHECK(has(types, "mybot/battery_filter"));
  CHECK(has(types, "plugin mybot 1.0.0 ("));
}

TEST_CASE("install.record_and_replay_through_the_plugin_in_both_modes") {
  World& world = World::get();
  REQUIRE(world.cmake_code == 0);
  INFO(world.record_output);
  REQUIRE(world.record_code == 0);
  const Outcome replay = world.run("copper-replay " + quoted(world.log) + " --mode both -q");
  INFO(replay.output);
  CHECK(replay.exit_code == 0);
  CHECK(has(replay, "serial replay: identical to the recording: 1000 copperlists replayed"));
  CHECK(has(replay, "serial vs parallel: identical"));
  const Outcome text = world.run("copper-log text " + quoted(world.log));
  CHECK(has(text, "dashboard cl 100: battery 12.5"));
  // A keyframe lets a replay start mid-log, thawing the filter's state.
  const Outcome from = world.run("copper-replay " + quoted(world.log) + " --from 450 -q");
  INFO(from.output);
  CHECK(from.exit_code == 0);
  CHECK(has(from, "from the keyframe at copperlist 400"));
}

TEST_CASE("install.replaying_the_old_log_with_changed_code_names_the_change") {
  World& world = World::get();
  REQUIRE(world.record_code == 0);
  // The user's change: the filter's gain, 0.2 -> 0.3, and a rebuild.
  const fs::path source = world.project / "src/processing.cpp";
  const std::string before = read_text(source);
  const std::string after = std::regex_replace(before, std::regex("kFilterGain = 0\\.2;"), "kFilterGain = 0.3;");
  REQUIRE(after != before);
  std::ofstream(source) << after;
  const Outcome rebuilt = world.cmake_build();
  INFO(rebuilt.output);
  REQUIRE(rebuilt.exit_code == 0);

  const fs::path report = world.root / "changed.json";
  const Outcome replay = world.run("copper-replay " + quoted(world.log) + " -q --report " + quoted(report));
  INFO(replay.output);
  CHECK(replay.exit_code == 1);
  CHECK(has(replay, "note: plugin \"mybot\" changed since the recording: XXH3 "));
  // Copperlist 0 primes the filter; the gain shows from copperlist 1 on.
  CHECK(has(replay, "first divergence: copperlist 1, task \"filter\", field charge: recorded "));
  CHECK(has(replay, "; also volts: recorded "));
  CHECK(has(replay, "verdict: DIVERGED"));
  const auto json = nlohmann::json::parse(read_text(report));
  REQUIRE(json["code_changed"].size() == 1);
  CHECK(json["code_changed"][0]["plugin"] == "mybot");
  CHECK(json["replays"]["serial"]["first_divergence"]["task"] == "filter");
  CHECK(json["replays"]["serial"]["diverged_per_task"].contains("filter"));
  std::ofstream(source) << before;
  REQUIRE(world.cmake_build().exit_code == 0);
}

TEST_CASE("install.each_bad_plugin_is_one_clear_line_and_exit_2") {
  World& world = World::get();
  REQUIRE(world.cmake_code == 0);
  REQUIRE(world.meson_code == 0);
  const std::string record = world.tool("copper-record").string() + " --list-types --plugin ";

  const Outcome missing = shell(record + "nosuch");
  CHECK(missing.exit_code == 2);
  CHECK(has(missing, "plugin \"nosuch\": not found as nosuch.so or libnosuch.so in " + (world.libdir / "copper/plugins").string()));

  const fs::path text_file = world.root / "notes.so";
  std::ofstream(text_file) << std::string(200, '#');
  const Outcome not_elf = shell(record + quoted(text_file));
  CHECK(not_elf.exit_code == 2);
  CHECK(has(not_elf, "cannot be loaded: "));

  // A real shared object, but not a plugin: libcopper itself.
  const Outcome not_plugin = shell(record + quoted(world.libdir / "libcopper.so"));
  CHECK(not_plugin.exit_code == 2);
  CHECK(has(not_plugin, "not a copper plugin"));

  // Built against another ABI: an entry point claiming ABI 999, compiled
  // against the installed headers.
  const fs::path other = world.root / "other_abi.cpp";
  std::ofstream(other) << "#include <copper/plugin.hpp>\n"
                          "extern \"C\" __attribute__((visibility(\"default\"))) const copper::PluginInfo* "
                          "copper_plugin_entry() {\n"
                          "  static const copper::PluginInfo info{999, 0, \"old\", \"0.1\", \"0.0.1\"};\n"
                          "  return &info;\n}\n";
  const Outcome compiled = shell("g++ -std=c++20 -shared -fPIC -I" + quoted(world.prefix / "include") + " " +
                                 quoted(other) + " -o " + quoted(world.root / "other_abi.so") + " 2>&1");
  INFO(compiled.output);
  REQUIRE(compiled.exit_code == 0);
  const Outcome abi = shell(record + quoted(world.root / "other_abi.so"));
  CHECK(abi.exit_code == 2);
  CHECK(has(abi, "built against copper ABI 999"));

  // Two builds of one library: every type registered twice.
  const Outcome twice = shell(record + quoted(world.project / "build-cmake/mybot.so") + " --plugin " +
                              quoted(world.project / "build-meson/mybot.so"));
  INFO(twice.output);
  CHECK(twice.exit_code == 2);
  CHECK(has(twice, "is registered twice: by plugin \"mybot\" and by plugin \"mybot\""));

  // A config naming a type no plugin has.
  const fs::path config = world.root / "unknown.json";
  std::ofstream(config) << R"({"plugins": ["mybot"], "tasks": [{"id": "x", "type": "mybot/lidar"}]})";
  const Outcome unknown = world.run("copper-record --check --config " + quoted(config));
  CHECK(unknown.exit_code == 2);
  CHECK(has(unknown, "unknown task type \"mybot/lidar\" (known types: mybot/battery,"));
  CHECK(has(unknown, "plugins loaded: mybot ("));
}
