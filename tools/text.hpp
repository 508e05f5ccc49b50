// copper-log text: the structured text logs of a run rebuilt as lines
// (time, level, task, copperlist, message), formatted offline with fmt from
// the string table and the recorded arguments.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "copper/log/format.hpp"
#include "copper/log/reader.hpp"
#include "session.hpp"

namespace copper::logtool {

struct TextOptions {
  std::string log;
  std::optional<log::TextLevel> level;  // the lowest level shown
  std::string task;                     // empty: all
  bool json = false;                    // one JSON object per line
  bool follow = false;                  // read the log as it is written (follow.hpp)
};

struct TextLine {
  std::optional<int64_t> time_ns;  // the copperlist's time; absent when that copperlist was lost
  log::TextLevel level = log::TextLevel::info;
  std::string task;  // "-" when not from a task
  uint64_t cl_id = 0;
  std::string message;
  std::string location;  // "file:line"
};

// Every entry, in copperlist order (entries of one copperlist in file
// order), and the run's error and signal events as lines of task "-"; an
// entry whose string or arguments are unusable still gives a line that
// says so.
std::vector<TextLine> text_lines(log::LogReader& reader);

// One entry as a line (`string` null when the log lacks it), and an error
// or signal event as a line of task "-" (nullopt for other events).
TextLine text_line(const log::TextEntry& entry, const log::StringEntry* string, const std::vector<std::string>& tasks,
                   std::optional<int64_t> time_ns);
std::optional<TextLine> event_line(const log::Event& event, std::optional<int64_t> time_ns);

// --level and --task; the line as text or JSON, appended to out.
bool line_shown(const TextOptions& options, const TextLine& line);
void append_line(const TextOptions& options, const TextLine& line, std::string& out);
// True, after "error: no task ..." on err, when --task names no task of the log.
bool unknown_task(const TextOptions& options, const std::vector<std::string>& tasks, std::ostream& err);

std::string line_text(const TextLine& line);
nlohmann::json line_json(const TextLine& line);
std::optional<log::TextLevel> parse_level(std::string_view name);

// 0; 1 when the log cannot be opened; 2 for an unknown task.
int run_text(const TextOptions& options, Io io);

}  // namespace copper::logtool
