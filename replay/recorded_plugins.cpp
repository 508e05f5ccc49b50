#include "recorded_plugins.hpp"

#include <fmt/format.h>

#include "copper/plugin.hpp"
#include "copper/registry.hpp"
#include "plugin_cli.hpp"

namespace copper::replay_cli {

namespace {

const nlohmann::json& recorded_plugins(const nlohmann::json& metadata) {
  static const nlohmann::json none = nlohmann::json::array();
  if (!metadata.is_object()) return none;
  auto it = metadata.find("plugins");
  return it != metadata.end() && it->is_array() ? *it : none;
}

// A string member of a recorded plugin entry, `fallback` when it is absent
// or not a string: the log's word, checksummed but not trusted.
std::string text(const nlohmann::json& entry, const char* key, const char* fallback) {
  const auto it = entry.is_object() ? entry.find(key) : entry.end();
  return it != entry.end() && it->is_string() ? it->get<std::string>() : fallback;
}

// True when every task type the plugin provided is already registered
// (linked into this program, or loaded from elsewhere).
bool types_present(const nlohmann::json& plugin) {
  const auto types = plugin.value("task_types", nlohmann::json::array());
  if (!types.is_array() || types.empty()) return false;
  for (const auto& type : types)
    if (!type.is_string() || Registry::global().find(type.get<std::string>()) == nullptr) return false;
  return true;
}

bool load_recorded(const nlohmann::json& plugin) {
  const std::string name = text(plugin, "name", "");
  const std::string path = text(plugin, "path", "");
  std::error_code ec;
  if (!path.empty() && std::filesystem::exists(path, ec)) {
    auto loaded = load_plugin(path);
    if (loaded) return true;
    fmt::print(stderr, "error: the log was recorded with plugin \"{}\": {}\n", name, loaded.error_message());
    return false;
  }
  auto loaded = load_plugin(name);
  if (loaded) return true;
  fmt::print(stderr, "error: the log was recorded with plugin \"{}\" from {}, which is not there any more; {}\n", name,
             path.empty() ? std::string("an unrecorded path") : path, loaded.error_message());
  return false;
}

const LoadedPlugin* loaded_named(const std::string& name) {
  for (const LoadedPlugin* plugin : loaded_plugins())
    if (plugin->name == name) return plugin;
  return nullptr;
}

}  // namespace

std::string CodeChange::describe() const {
  std::string what;
  const std::string was_version = text(recorded, "version", "?"), now_version = text(loaded, "version", "?");
  if (was_version != now_version) what += fmt::format("version {} -> {}, ", was_version, now_version);
  what += fmt::format("XXH3 {} -> {}", text(recorded, "xxh3", "?"), text(loaded, "xxh3", "?"));
  return fmt::format("plugin \"{}\" changed since the recording: {} ({})", name, what, text(loaded, "path", "?"));
}

bool load_plugins_for(const nlohmann::json& metadata, const std::vector<std::string>& given) {
  if (!given.empty()) return cli::load_plugins(given, std::filesystem::current_path());
  for (const auto& plugin : recorded_plugins(metadata)) {
    if (!plugin.is_object() || types_present(plugin)) continue;
    if (!load_recorded(plugin)) return false;
  }
  return true;
}

std::vector<CodeChange> code_changes(const nlohmann::json& metadata) {
  std::vector<CodeChange> changes;
  for (const auto& plugin : recorded_plugins(metadata)) {
    if (!plugin.is_object()) continue;
    const std::string name = text(plugin, "name", "");
    const LoadedPlugin* now = loaded_named(name);
    if (now == nullptr || now->xxh3 == text(plugin, "xxh3", "")) continue;
    changes.push_back({name, plugin, now->to_json()});
  }
  return changes;
}

nlohmann::json to_json(const std::vector<CodeChange>& changes) {
  nlohmann::json out = nlohmann::json::array();
  for (const CodeChange& change : changes)
    out.push_back({{"plugin", change.name}, {"recorded", change.recorded}, {"loaded", change.loaded}});
  return out;
}

}  // namespace copper::replay_cli
