// plugin.hpp's rules that need no loaded plugin: the search path and file
// hashing. Loading itself is tested through the tools (cli_plugin_test.cpp),
// since a plugin links the shared libcopper and this test binary links
// libcopper's objects statically: a plugin loaded here would register into
// another registry.
#include <doctest/doctest.h>

#include <stdlib.h>

#include <cstdio>
#include <fstream>
#include <optional>
#include <string>

#include <xxhash.h>

#include "copper/plugin.hpp"
#include "fixtures/scratch_dir.hpp"

namespace {

// Sets an environment variable for one scope, then puts the old value back.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = ::getenv(name)) old_ = old;
    ::setenv(name, value, 1);
  }
  ~ScopedEnv() {
    if (old_) ::setenv(name_, old_->c_str(), 1);
    else ::unsetenv(name_);
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

}  // namespace

TEST_CASE("plugin.search_path_is_the_environment_then_the_installed_folder") {
  const ScopedEnv env("COPPER_PLUGIN_PATH", "/opt/a::/opt/b:");
  const auto dirs = copper::plugin_search_path();
  REQUIRE(dirs.size() >= 3);
  CHECK(dirs[0] == "/opt/a");  // empty entries are skipped
  CHECK(dirs[1] == "/opt/b");
  // Last, the configured installation's folder.
  CHECK(dirs.back().string().ends_with("copper/plugins"));
}

TEST_CASE("plugin.a_name_not_found_lists_every_folder_searched") {
  const ScopedEnv env("COPPER_PLUGIN_PATH", "/nonexistent/one:/nonexistent/two");
  const auto loaded = copper::load_plugin("mybot");
  REQUIRE_FALSE(loaded.ok());
  const std::string message(loaded.error_message());
  CHECK(message.starts_with("plugin \"mybot\": not found as mybot.so or libmybot.so in /nonexistent/one, "
                            "/nonexistent/two, "));
  const auto by_path = copper::load_plugin("lib/mybot.so", "/nonexistent");
  CHECK(by_path.error_message() == "plugin /nonexistent/lib/mybot.so: no such file");
}

TEST_CASE("plugin.file_hash_is_xxh3_of_the_bytes") {
  const copper_test::ScratchDir dir("plugin_test");
  const std::string bytes(200'000, 'x');  // more than one read buffer
  std::ofstream(dir / "f.so", std::ios::binary) << bytes;
  const auto hash = copper::file_xxh3(dir / "f.so");
  REQUIRE(hash.ok());
  char expected[17];
  std::snprintf(expected, sizeof(expected), "%016llx",
                static_cast<unsigned long long>(XXH3_64bits(bytes.data(), bytes.size())));
  CHECK(*hash == expected);
  CHECK_FALSE(copper::file_xxh3(dir / "missing.so").ok());
}
