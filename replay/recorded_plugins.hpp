// The code a log was recorded with, for copper-replay: loading the task
// plugins the log names (or those given with --plugin instead), and telling
// which of them changed since the recording, so that a divergence reads as
// the effect of that change.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace copper::replay_cli {

// One recorded plugin whose file is not the one recorded.
struct CodeChange {
  std::string name;
  nlohmann::json recorded;  // the log's entry (plugin.hpp, LoadedPlugin::to_json)
  nlohmann::json loaded;    // the plugin loaded now

  // "plugin "mybot" changed since the recording: version 1.0.0 -> 1.1.0,
  //  XXH3 0123... -> 4567... (/path/mybot.so)"
  std::string describe() const;
};

// Loads the plugins for replaying a log with `metadata`: the `given` specs
// (relative to the working directory) when there are any, else each plugin
// the log names (by its recorded path, else by name through the search
// path), skipping one whose task types this program already has (tasks
// linked in: a static replay binary). False after printing why not.
bool load_plugins_for(const nlohmann::json& metadata, const std::vector<std::string>& given);

// The recorded plugins whose loaded file differs from the recorded one.
std::vector<CodeChange> code_changes(const nlohmann::json& metadata);

nlohmann::json to_json(const std::vector<CodeChange>& changes);

}  // namespace copper::replay_cli
