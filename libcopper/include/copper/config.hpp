// The JSON graph config and its structural checks.
//
// parse_config checks everything that needs no knowledge of task types:
// JSON syntax (with line and column), the shape and types of every key,
// unknown keys (typos), duplicate task ids, connections naming unknown tasks,
// runtime and logging values. Checks that need the task registry (types,
// cycles, wiring, parameters) happen when the graph is built (graph.hpp).
// Every problem is reported with the JSON path it concerns, all at once.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "copper/export.hpp"

namespace copper {

struct COPPER_API Diagnostic {
  enum class Severity { error, warning };
  Severity severity = Severity::error;
  std::string path;     // e.g. "connections[3].to"
  std::string message;  // e.g. "unknown task \"lidr\""

  // "error: connections[3].to: unknown task "lidr""
  std::string to_string() const;
};

class COPPER_API Diagnostics {
 public:
  void error(std::string path, std::string message);
  void warning(std::string path, std::string message);

  bool has_errors() const;
  const std::vector<Diagnostic>& all() const { return items_; }
  // One diagnostic per line, errors and warnings in the order found.
  std::string to_string() const;

 private:
  std::vector<Diagnostic> items_;
};

struct TaskConfig {
  std::string id;
  std::string type;
  nlohmann::json params = nlohmann::json::object();
};

struct ConnectionConfig {
  std::string from;
  std::string to;
  std::string input;  // input name or index; empty: chosen by message type
  std::string msg;    // optional: the message type the author expects
};

enum class RunMode { serial, parallel };

struct RuntimeConfig {
  RunMode mode = RunMode::serial;
  uint64_t cycles = 0;        // 0: no cycle limit
  double duration_s = 0;      // 0: no time limit
  double rate_hz = 0;         // 0: as fast as possible
  uint32_t max_in_flight = 4; // parallel mode: copperlists admitted, not committed
  uint32_t threads = 0;       // parallel mode: 0 = hardware threads
};

// Consumed by the log writer; parsed and checked here so a bad value fails
// before anything runs.
struct LoggingConfig {
  std::string path;                 // empty: no log
  std::string fsync = "bytes:8MiB"; // none | bytes:N | interval:MS | commit
  std::string compress = "none";    // none | zstd | zstd:LEVEL
  std::string slab_size = "8MiB";   // log::parse_slab_size: a power of two, 64KiB..1GiB
  uint64_t keyframe_interval = 0;   // 0: no keyframes
};

struct Config {
  std::string name;
  // Task plugins to load before the graph is built (plugin.hpp): paths,
  // relative to `directory`, or names looked up in the plugin search path.
  std::vector<std::string> plugins;
  std::filesystem::path directory;  // the config file's folder; empty when parsed from text
  std::vector<TaskConfig> tasks;
  std::vector<ConnectionConfig> connections;
  RuntimeConfig runtime;
  LoggingConfig logging;
  nlohmann::json document;  // the config exactly as given, for the log
};

// Returns nullopt exactly when `diags` holds an error.
COPPER_API std::optional<Config> parse_config(std::string_view text, Diagnostics& diags);
COPPER_API std::optional<Config> load_config(const std::filesystem::path& path, Diagnostics& diags);

COPPER_API const char* to_string(RunMode mode);

// The limits of runtime.duration_s and runtime.rate_hz, one rule for the
// config and the command lines (--duration, --rate): an empty string when
// the value is acceptable, else what is wrong with it. NaN and infinities
// are refused.
inline constexpr double kMinDurationSeconds = 1e-9, kMaxDurationSeconds = 1e9;  // about 31 years
inline constexpr double kMinRateHz = 1e-6, kMaxRateHz = 1e9;
COPPER_API std::string duration_s_problem(double seconds);
COPPER_API std::string rate_hz_problem(double hz);

}  // namespace copper
