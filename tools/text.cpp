#include "text.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>
#include <unordered_map>

#include "copper/log/text_format.hpp"
#include "follow.hpp"

namespace copper::logtool {
namespace {

std::vector<std::pair<uint64_t, int64_t>> copperlist_times(log::LogReader& reader) {
  std::vector<std::pair<uint64_t, int64_t>> times;
  reader.for_each_copperlist([&](const log::CopperListView& cl) {
    times.emplace_back(cl.id, cl.time_ns);
    return true;
  });
  // The copperlist a run failed on is not committed, but its lines are kept.
  if (const auto& failure = reader.check().failure) times.emplace_back(failure->cl_id, failure->time_ns);
  std::sort(times.begin(), times.end());  // ids may go backwards in a damaged log
  return times;
}

std::optional<int64_t> time_of(const std::vector<std::pair<uint64_t, int64_t>>& times, uint64_t id) {
  const auto it = std::lower_bound(times.begin(), times.end(), std::make_pair(id, INT64_MIN));
  if (it == times.end() || it->first != id) return std::nullopt;
  return it->second;
}

std::string message_of(const log::TextEntry& entry, const log::StringEntry* string) {
  if (string == nullptr) return fmt::format("<string {} missing from the log>", entry.string_id);
  auto text = log::format_text(string->format, entry.arg_count, entry.args);
  return text ? std::move(*text) : fmt::format("<{}: format \"{}\">", text.error_message(), string->format);
}

}  // namespace

std::vector<TextLine> text_lines(log::LogReader& reader) {
  std::unordered_map<uint32_t, const log::StringEntry*> strings;
  for (const auto& s : reader.check().strings) strings.emplace(s.id, &s);
  const auto times = copperlist_times(reader);
  const std::vector<std::string> tasks = task_ids(reader);
  std::vector<TextLine> lines;
  reader.for_each_text([&](const log::TextEntry& entry) {
    const auto string = strings.find(entry.string_id);
    lines.push_back(
        text_line(entry, string == strings.end() ? nullptr : string->second, tasks, time_of(times, entry.cl_id)));
    return true;
  });
  // Why the run stopped, if not on its limit: the recorder's error and
  // signal events, among the tasks' own lines.
  for (const log::Event& event : reader.check().events)
    if (auto line = event_line(event, time_of(times, event.cl_id))) lines.push_back(std::move(*line));
  std::stable_sort(lines.begin(), lines.end(), [](const TextLine& a, const TextLine& b) { return a.cl_id < b.cl_id; });
  return lines;
}

TextLine text_line(const log::TextEntry& entry, const log::StringEntry* string, const std::vector<std::string>& tasks,
                   std::optional<int64_t> time_ns) {
  TextLine line;
  line.time_ns = time_ns;
  line.level = entry.level;
  line.task = entry.task_index < tasks.size() ? tasks[entry.task_index] : "-";
  line.cl_id = entry.cl_id;
  line.message = message_of(entry, string);
  if (string) line.location = fmt::format("{}:{}", string->file, string->line);
  return line;
}

std::optional<TextLine> event_line(const log::Event& event, std::optional<int64_t> time_ns) {
  if (event.kind != log::EventKind::error && event.kind != log::EventKind::signal) return std::nullopt;
  const bool error = event.kind == log::EventKind::error;
  return TextLine{time_ns,
                  error ? log::TextLevel::error : log::TextLevel::warn,
                  "-",
                  event.cl_id,
                  (error ? "run stopped: " : "run stopped: signal: ") + event.message,
                  "(event)"};
}

bool line_shown(const TextOptions& options, const TextLine& line) {
  return (!options.level || line.level >= *options.level) && (options.task.empty() || line.task == options.task);
}

void append_line(const TextOptions& options, const TextLine& line, std::string& out) {
  out += options.json ? line_json(line).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n"
                      : line_text(line);
}

bool unknown_task(const TextOptions& options, const std::vector<std::string>& tasks, std::ostream& err) {
  if (options.task.empty() || std::find(tasks.begin(), tasks.end(), options.task) != tasks.end()) return false;
  fmt::print(err, "error: no task \"{}\" in the log\n", options.task);
  return true;
}

std::string line_text(const TextLine& line) {
  std::string level = log::to_string(line.level);
  std::transform(level.begin(), level.end(), level.begin(), [](char c) { return static_cast<char>(std::toupper(c)); });
  return fmt::format("{} {:<5} {} cl {}: {}\n", line.time_ns ? seconds_text(*line.time_ns) : "-", level, line.task,
                     line.cl_id, line.message);
}

nlohmann::json line_json(const TextLine& line) {
  return {{"time_ns", line.time_ns ? nlohmann::json(*line.time_ns) : nlohmann::json(nullptr)},
          {"level", log::to_string(line.level)},
          {"task", line.task},
          {"cl_id", line.cl_id},
          {"message", line.message},
          {"location", line.location}};
}

std::optional<log::TextLevel> parse_level(std::string_view name) {
  for (uint8_t i = 0; i <= static_cast<uint8_t>(log::TextLevel::error); ++i)
    if (name == log::to_string(static_cast<log::TextLevel>(i))) return static_cast<log::TextLevel>(i);
  return std::nullopt;
}

int run_text(const TextOptions& options, Io io) {
  if (options.follow) return run_text_follow(options, io);
  auto reader = open_decodable_log(options.log, io.err);
  if (!reader) return kExitCannotRun;
  if (unknown_task(options, task_ids(*reader), io.err)) return kExitCannotRun;
  std::string out;
  for (const TextLine& line : text_lines(*reader))
    if (line_shown(options, line)) append_line(options, line, out);
  io.out << out;
  return kExitOk;
}

}  // namespace copper::logtool
