#include "plugin_cli.hpp"

#include <fmt/format.h>

#include "copper/plugin.hpp"
#include "exit_codes.hpp"

namespace copper::cli {

void add_plugin_options(CLI::App& app, PluginOptions& options) {
  app.add_option("--plugin", options.plugins,
                 "load a task plugin: a path (with a '/' or ending in .so) or a name looked up in "
                 "$COPPER_PLUGIN_PATH, then the installed plugin folder; repeatable")
      ->take_all();
  app.add_flag("--list-types", options.list_types, "list the task types known, with the plugin each comes from");
}

bool check_program_registrations() {
  const auto& conflicts = Registry::global().conflicts();
  for (const auto& conflict : conflicts)
    fmt::print(stderr, "error: {} (two task libraries linked into this program use one name)\n", conflict.describe());
  return conflicts.empty();
}

std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error) == 0 ? kExitOk : kExitCannotRun;
  }
  if (!check_program_registrations()) return kExitCannotRun;
  return std::nullopt;
}

bool load_plugins(const std::vector<std::string>& specs, const std::filesystem::path& relative_to) {
  for (const std::string& spec : specs) {
    auto loaded = load_plugin(spec, relative_to);
    if (!loaded) {
      fmt::print(stderr, "error: {}\n", loaded.error_message());
      return false;
    }
  }
  return true;
}

namespace {

std::string origin_of(const TaskType& type) {
  if (type.origin.empty()) return "(in the program)";
  for (const LoadedPlugin* plugin : loaded_plugins())
    if (plugin->name == type.origin) return fmt::format("plugin {} {} ({})", plugin->name, plugin->version, plugin->path.string());
  return "plugin " + type.origin;
}

std::string signature(const TaskType& type) {
  std::string inputs;
  for (size_t i = 0; i < type.inputs.size(); ++i)
    inputs += fmt::format("{}{}: {}", i ? ", " : "", type.input_names[i], type.inputs[i]->name);
  return fmt::format("({}) -> {}", inputs, type.output ? type.output->name : "-");
}

}  // namespace

std::string task_types_table(const Registry& registry) {
  std::string table;
  for (const auto& name : registry.names()) {
    const TaskType& type = *registry.find(name);
    table += fmt::format("{:<28} {:<6} {}{}  {}\n", name, to_string(type.kind), signature(type),
                         type.stateless ? "  [stateless]" : "", origin_of(type));
  }
  if (table.empty()) table = "no task types: load a plugin with --plugin, or name it in the config's \"plugins\"\n";
  return table;
}

}  // namespace copper::cli
