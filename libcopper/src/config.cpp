#include "copper/config.hpp"

#include "bounded_input.hpp"
#include "copper/log/policy.hpp"
#include "text_util.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace copper {

using nlohmann::json;

std::string Diagnostic::to_string() const {
  return fmt::format("{}: {}: {}", severity == Severity::error ? "error" : "warning", path, message);
}

void Diagnostics::error(std::string path, std::string message) {
  items_.push_back({Diagnostic::Severity::error, std::move(path), std::move(message)});
}

void Diagnostics::warning(std::string path, std::string message) {
  items_.push_back({Diagnostic::Severity::warning, std::move(path), std::move(message)});
}

bool Diagnostics::has_errors() const {
  return std::any_of(items_.begin(), items_.end(),
                     [](const Diagnostic& d) { return d.severity == Diagnostic::Severity::error; });
}

std::string Diagnostics::to_string() const {
  std::string text;
  for (const auto& item : items_) text += item.to_string() + "\n";
  return text;
}

const char* to_string(RunMode mode) { return mode == RunMode::serial ? "serial" : "parallel"; }

// The bounds keep the nanosecond figures the runtime derives (duration,
// and the period 1e9 / rate) well inside int64 and above one nanosecond.
std::string duration_s_problem(double seconds) {
  if (seconds == 0 || (seconds >= kMinDurationSeconds && seconds <= kMaxDurationSeconds)) return {};
  return fmt::format("{} is not a duration: give seconds from {:g} to {:g}, or 0 for no limit", seconds,
                     kMinDurationSeconds, kMaxDurationSeconds);
}

std::string rate_hz_problem(double hz) {
  if (hz == 0 || (hz >= kMinRateHz && hz <= kMaxRateHz)) return {};
  return fmt::format("{} is not a rate: give cycles per second from {:g} to {:g}, or 0 for as fast as possible", hz,
                     kMinRateHz, kMaxRateHz);
}

namespace {

std::string kind_of(const json& value) {
  switch (value.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return "an integer";
    case json::value_t::number_float: return "a number";
    case json::value_t::string: return "a string";
    case json::value_t::array: return "an array";
    case json::value_t::object: return "an object";
    default: return "an unsupported value";
  }
}

// Reads the keys of one JSON object, reporting wrong types, missing
// required keys and keys nobody expects, each with its full path.
class ObjectReader {
 public:
  ObjectReader(const json& object, std::string path, Diagnostics& diags, std::set<std::string> allowed)
      : object_(object), path_(std::move(path)), diags_(diags) {
    valid_ = object.is_object();
    if (!valid_) {
      diags_.error(path_, "expected an object, got " + kind_of(object));
      return;
    }
    for (const auto& [key, value] : object.items())
      if (!allowed.contains(key)) diags_.error(at(key), "unknown key");
  }

  bool valid() const { return valid_; }
  std::string at(std::string_view key) const { return path_.empty() ? std::string(key) : path_ + "." + std::string(key); }
  const json* find(std::string_view key) const {
    if (!valid_) return nullptr;
    auto it = object_.find(key);
    return it == object_.end() ? nullptr : &*it;
  }

  void string(std::string_view key, std::string& out, bool required) {
    const json* value = present(key, required);
    if (value == nullptr) return;
    if (!value->is_string()) return mistyped(key, "a string", *value);
    out = value->get<std::string>();
    if (required && out.empty()) diags_.error(at(key), "must not be empty");
  }

  template <class Int>
  void integer(std::string_view key, Int& out, uint64_t min, uint64_t max) {
    const json* value = present(key, false);
    if (value == nullptr) return;
    if (!value->is_number_unsigned()) return mistyped(key, "a non-negative integer", *value);
    const auto v = value->get<uint64_t>();
    if (v < min || v > max) return diags_.error(at(key), fmt::format("must be between {} and {}", min, max));
    out = static_cast<Int>(v);
  }

  // A number within the limits `problem` states (empty when it is fine).
  void number(std::string_view key, double& out, std::string (*problem)(double)) {
    const json* value = present(key, false);
    if (value == nullptr) return;
    if (!value->is_number()) return mistyped(key, "a number", *value);
    const auto v = value->get<double>();
    if (std::string why = problem(v); !why.empty()) return diags_.error(at(key), why);
    out = v;
  }

 private:
  const json* present(std::string_view key, bool required) {
    const json* value = find(key);
    if (value == nullptr && required && valid_) diags_.error(at(key), "missing required key");
    return value;
  }
  void mistyped(std::string_view key, const char* expected, const json& value) {
    diags_.error(at(key), std::string("expected ") + expected + ", got " + kind_of(value));
  }

  const json& object_;
  std::string path_;
  Diagnostics& diags_;
  bool valid_ = false;
};

std::string indexed(const char* array, size_t i) { return fmt::format("{}[{}]", array, i); }

void parse_tasks(const json& tasks, Config& config, Diagnostics& diags) {
  if (!tasks.is_array()) return diags.error("tasks", "expected an array, got " + kind_of(tasks));
  if (tasks.empty()) diags.error("tasks", "a graph needs at least one task");
  std::set<std::string, std::less<>> seen;
  for (size_t i = 0; i < tasks.size(); ++i) {
    ObjectReader reader(tasks[i], indexed("tasks", i), diags, {"id", "type", "params", "doc"});
    TaskConfig task;
    reader.string("id", task.id, true);
    reader.string("type", task.type, true);
    if (const json* params = reader.find("params")) {
      if (params->is_object()) task.params = *params;
      else diags.error(reader.at("params"), "expected an object, got " + kind_of(*params));
    }
    if (!task.id.empty() && !seen.insert(task.id).second)
      diags.error(reader.at("id"), fmt::format("duplicate task id \"{}\"", task.id));
    config.tasks.push_back(std::move(task));
  }
}

void parse_plugins(const json& plugins, Config& config, Diagnostics& diags) {
  if (!plugins.is_array()) return diags.error("plugins", "expected an array of plugin paths or names, got " + kind_of(plugins));
  for (size_t i = 0; i < plugins.size(); ++i) {
    if (!plugins[i].is_string())
      diags.error(indexed("plugins", i), "expected a plugin path or name, got " + kind_of(plugins[i]));
    else if (plugins[i].get<std::string>().empty())
      diags.error(indexed("plugins", i), "must not be empty");
    else
      config.plugins.push_back(plugins[i].get<std::string>());
  }
}

void parse_connections(const json& connections, Config& config, Diagnostics& diags) {
  if (!connections.is_array())
    return diags.error("connections", "expected an array, got " + kind_of(connections));
  std::set<std::string, std::less<>> ids;
  for (const auto& task : config.tasks) ids.insert(task.id);
  for (size_t i = 0; i < connections.size(); ++i) {
    ObjectReader reader(connections[i], indexed("connections", i), diags, {"from", "to", "input", "msg"});
    ConnectionConfig connection;
    reader.string("from", connection.from, true);
    reader.string("to", connection.to, true);
    reader.string("msg", connection.msg, false);
    if (const json* input = reader.find("input")) {
      if (input->is_string()) connection.input = input->get<std::string>();
      else if (input->is_number_unsigned()) connection.input = std::to_string(input->get<uint64_t>());
      else diags.error(reader.at("input"), "expected an input name or index, got " + kind_of(*input));
    }
    for (const auto& [key, id] : {std::pair{"from", connection.from}, std::pair{"to", connection.to}})
      if (!id.empty() && !ids.contains(id)) diags.error(reader.at(key), fmt::format("unknown task \"{}\"", id));
    config.connections.push_back(std::move(connection));
  }
}

void parse_runtime(const json& runtime, Config& config, Diagnostics& diags) {
  ObjectReader reader(runtime, "runtime", diags,
                      {"mode", "cycles", "duration_s", "rate_hz", "max_in_flight", "threads"});
  RuntimeConfig& rt = config.runtime;
  std::string mode;
  reader.string("mode", mode, false);
  if (mode == "parallel") rt.mode = RunMode::parallel;
  else if (!mode.empty() && mode != "serial")
    diags.error(reader.at("mode"), fmt::format("unknown mode \"{}\" (serial or parallel)", mode));
  reader.integer("cycles", rt.cycles, 0, UINT64_MAX);
  reader.number("duration_s", rt.duration_s, duration_s_problem);
  reader.number("rate_hz", rt.rate_hz, rate_hz_problem);
  reader.integer("max_in_flight", rt.max_in_flight, 1, 4096);
  reader.integer("threads", rt.threads, 0, 1024);
}

void parse_logging(const json& logging, Config& config, Diagnostics& diags) {
  ObjectReader reader(logging, "logging", diags, {"path", "fsync", "compress", "slab_size", "keyframe_interval"});
  LoggingConfig& log = config.logging;
  reader.string("path", log.path, false);
  reader.string("fsync", log.fsync, false);
  reader.string("compress", log.compress, false);
  reader.integer("keyframe_interval", log.keyframe_interval, 0, UINT64_MAX);
  // "32MiB" or a number of bytes.
  if (const json* slab = reader.find("slab_size"); slab != nullptr && slab->is_number_unsigned())
    log.slab_size = std::to_string(slab->get<uint64_t>());
  else
    reader.string("slab_size", log.slab_size, false);
  // The writer's own parsers: a value accepted here is one the writer takes.
  if (auto policy = log::FsyncPolicy::parse(log.fsync); !policy.ok())
    diags.error(reader.at("fsync"), std::string(policy.error_message()));
  if (auto compression = log::Compression::parse(log.compress); !compression.ok())
    diags.error(reader.at("compress"), std::string(compression.error_message()));
  if (auto slab = log::parse_slab_size(log.slab_size); !slab.ok())
    diags.error(reader.at("slab_size"), std::string(slab.error_message()));
}

}  // namespace

std::optional<Config> parse_config(std::string_view text, Diagnostics& diags) {
  Config config;
  auto document = detail::parse_json_bounded(text, "a config", detail::kMaxConfigDepth);
  if (!document) {
    diags.error("(document)", std::string(document.error_message()));
    return std::nullopt;
  }
  config.document = std::move(*document);
  ObjectReader top(config.document, "", diags,
                   {"name", "doc", "plugins", "tasks", "connections", "runtime", "logging"});
  if (!top.valid()) return std::nullopt;
  top.string("name", config.name, false);
  if (const json* plugins = top.find("plugins")) parse_plugins(*plugins, config, diags);
  if (const json* tasks = top.find("tasks")) parse_tasks(*tasks, config, diags);
  else diags.error("tasks", "missing required key");
  if (const json* connections = top.find("connections")) parse_connections(*connections, config, diags);
  if (const json* runtime = top.find("runtime")) parse_runtime(*runtime, config, diags);
  if (const json* logging = top.find("logging")) parse_logging(*logging, config, diags);
  if (diags.has_errors()) return std::nullopt;
  return config;
}

std::optional<Config> load_config(const std::filesystem::path& path, Diagnostics& diags) {
  auto text = detail::read_input_file(path, "config file");
  if (!text) {
    diags.error(path.string(), std::string(text.error_message()));
    return std::nullopt;
  }
  auto config = parse_config(*text, diags);
  std::error_code ec;
  if (config) config->directory = std::filesystem::absolute(path, ec).parent_path();
  return config;
}

}  // namespace copper
