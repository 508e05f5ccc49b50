// copper-log text: the structured text logs of a run rebuilt as lines
// (time, level, task, copperlist, message), formatted offline with fmt from
// the string table and the recorded arguments.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "copper/log/format.hpp"
#include "session.hpp"

namespace copper::logtool {

struct TextOptions {
  std::string log;
  std::optional<log::TextLevel> level;  // the lowest level shown
  std::string task;                     // empty: all
  bool json = false;                    // one JSON object per line
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

std::string line_text(const TextLine& line);
nlohmann::json line_json(const TextLine& line);
std::optional<log::TextLevel> parse_level(std::string_view name);

// 0; 1 when the log cannot be opened; 2 for an unknown task.
int run_text(const TextOptions& options, Io io);

}  // namespace copper::logtool
