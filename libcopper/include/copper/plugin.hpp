// Task plugins: a task library built as a shared object, which copper's
// tools load at run time, so that a robot's own tasks run, record and
// replay with the installed tools and no recompiled copper.
//
// A plugin is the library's sources with their COPPER_REGISTER_TASK lines,
// plus this line in exactly one of its files:
//
//   COPPER_PLUGIN("mybot", "1.2.0");
//
// which exports the entry point the loader looks for: copper's ABI number
// (version.hpp) as the plugin was compiled, its name and its own version.
// Build it as a shared module linked to libcopper (CMake:
// copper_add_plugin(mybot ...) from find_package(copper); meson:
// shared_module(..., dependencies: dependency('copper'), name_prefix: '')).
//
// Finding a plugin (load_plugin). A spec that contains a '/' or ends in
// ".so" is a path: relative paths are taken from `relative_to` (the config
// file's folder for a config's "plugins", the working directory for
// --plugin). Any other spec is a name N, looked up as N.so, then libN.so,
// in each folder of $COPPER_PLUGIN_PATH (colon-separated), then in the
// installed plugin folder (<libdir>/copper/plugins, found next to the
// libcopper in use, so a moved installation still finds its plugins).
//
// A loaded plugin stays loaded for the life of the process (its task types
// point into its code). Loading the same file twice is loading it once.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "copper/export.hpp"
#include "copper/status.hpp"
#include "copper/version.hpp"

namespace copper {

// What a plugin's entry point returns. Its layout is fixed across copper
// versions (fields are only ever added at the end), so that a plugin built
// for another ABI can still be read and refused by name.
struct PluginInfo {
  uint32_t abi_version;        // COPPER_ABI_VERSION the plugin was compiled with
  uint32_t reserved;           // 0
  const char* name;            // e.g. "mybot"
  const char* version;         // the plugin's own version, e.g. "1.2.0"
  const char* copper_version;  // COPPER_VERSION_STRING the plugin was compiled with
};

// The entry point's symbol, looked up with dlsym.
inline constexpr const char* kPluginEntryPoint = "copper_plugin_entry";

// A plugin in this process: what it declares, and which bytes it is, so
// that a log can record the code that wrote it and a replay can tell when
// that code changed.
struct LoadedPlugin {
  std::string name;            // as declared by COPPER_PLUGIN
  std::string version;         // as declared
  std::string copper_version;  // the copper its headers came from
  std::string given;           // the spec as given: a path or a name
  std::filesystem::path path;  // the file loaded, absolute
  uint64_t size = 0;           // bytes
  std::string xxh3;            // XXH3-64 of the file, 16 hex digits
  std::string build_id;        // GNU build-id, hex; empty when the file has none
  std::vector<std::string> task_types;  // the types it registered

  // {"name", "version", "copper_version", "given", "path", "size", "xxh3",
  //  "build_id", "task_types"}: the entry a log's metadata holds.
  COPPER_API nlohmann::json to_json() const;
};

// Loads one plugin (the rules above) and registers its task types in
// Registry::global(). Every failure is one line naming the plugin: not
// found (and every place searched), not a shared object (the loader's
// text), not a copper plugin (no entry point), built for another ABI (both
// numbers), or a task type some other origin already registered (both).
COPPER_API Result<const LoadedPlugin*> load_plugin(std::string_view spec,
                                                   const std::filesystem::path& relative_to = {});

// The plugins loaded so far, in load order.
COPPER_API std::vector<const LoadedPlugin*> loaded_plugins();

// The folders a plugin name is looked up in, in order.
COPPER_API std::vector<std::filesystem::path> plugin_search_path();

// The XXH3-64 of a file's bytes as 16 hex digits, or an error naming it: how
// a plugin's identity is recorded and compared.
COPPER_API Result<std::string> file_xxh3(const std::filesystem::path& path);

}  // namespace copper

// The entry point of a plugin: put it in exactly one source file of the
// library, at namespace scope, with a semicolon after it.
#define COPPER_PLUGIN(plugin_name, plugin_version)                                                   \
  extern "C" __attribute__((visibility("default"))) const ::copper::PluginInfo* copper_plugin_entry() { \
    static const ::copper::PluginInfo info{COPPER_ABI_VERSION, 0, (plugin_name), (plugin_version),    \
                                           COPPER_VERSION_STRING};                                   \
    return &info;                                                                                    \
  }                                                                                                  \
  static_assert(true, "COPPER_PLUGIN is followed by a semicolon")
