// What the three tools share about task types and plugins: the --plugin
// and --list-types options, loading plugins with one clear line per
// failure, and the refusal to run while two registrations of one task type
// conflict.
#pragma once

#include <CLI/CLI.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "copper/registry.hpp"

namespace copper::cli {

struct PluginOptions {
  std::vector<std::string> plugins;  // --plugin, in the order given
  bool list_types = false;
};

void add_plugin_options(CLI::App& app, PluginOptions& options);

// False, with every conflict on stderr, when the program's own task types
// (linked in, registered before main) claim one name twice.
bool check_program_registrations();

// Parses a tool's command line and checks the program's registrations:
// the exit code to return at once (0 after --help; exit_codes.hpp's
// "cannot run" for a usage error or a conflict), or nothing to go on.
std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv);

// Loads each spec (plugin.hpp's rules, relative paths from `relative_to`);
// false after printing the failure.
bool load_plugins(const std::vector<std::string>& specs, const std::filesystem::path& relative_to);

// The --list-types table: name, kind, inputs -> output, [stateless], and
// where the type comes from (a plugin and its file, or the program).
std::string task_types_table(const Registry& registry);

}  // namespace copper::cli
