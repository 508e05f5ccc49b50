#include "session.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>
#include <ostream>

namespace copper::logtool {

std::optional<log::LogReader> open_log(const std::string& path, std::ostream& err) {
  auto reader = log::LogReader::open(path);
  if (reader) return std::move(*reader);
  fmt::print(err, "error: {}\n", reader.error_message());
  return std::nullopt;
}

std::string metadata_problem(log::LogReader& reader) {
  if (reader.metadata().is_object()) return {};
  constexpr std::string_view kPrefix = "metadata unreadable: ";
  std::string why = "no metadata record";
  for (const log::Damage& damage : reader.check().damage)
    if (damage.reason.starts_with(kPrefix)) why = damage.reason.substr(kPrefix.size());
  return fmt::format("{}: the metadata record is unreadable ({}): nothing can be decoded", reader.path().string(), why);
}

bool metadata_unreadable(log::LogReader& reader, std::ostream& err) {
  const std::string problem = metadata_problem(reader);
  if (problem.empty()) return false;
  fmt::print(err, "error: {}\n", problem);
  return true;
}

std::optional<log::LogReader> open_decodable_log(const std::string& path, std::ostream& err) {
  auto reader = open_log(path, err);
  if (reader && metadata_unreadable(*reader, err)) return std::nullopt;
  return reader;
}

Result<Output> Output::open(const std::string& path, std::ostream& fallback) {
  Output output;
  output.fallback_ = &fallback;
  if (path.empty() || path == "-") return output;
  output.path_ = path;
  auto target = OutputFile::create(path, Overwrite::allow);
  if (!target) return target.status();
  output.file_ = std::make_unique<std::ofstream>(target->temporary(), std::ios::binary | std::ios::trunc);
  if (!*output.file_) return Status::io_error(fmt::format("{}: cannot create the output file", path));
  output.target_ = std::move(*target);
  return output;
}

Status Output::finish() {
  std::ostream& s = stream();
  s.flush();
  if (!s) return Status::io_error(fmt::format("{}: write failed", path_.empty() ? "stdout" : path_));
  if (!file_) return {};
  file_->close();
  if (file_->fail()) return Status::io_error(fmt::format("{}: write failed", path_));
  return target_->commit();
}

namespace {

std::vector<std::string> string_field(const nlohmann::json& array, const char* key, const char* fallback) {
  std::vector<std::string> out;
  if (!array.is_array()) return out;
  for (size_t i = 0; i < array.size(); ++i) {
    const auto& item = array[i];
    const bool named = item.is_object() && item.contains(key) && item[key].is_string();
    out.push_back(named ? item[key].get<std::string>() : fmt::format("{}{}", fallback, i));
  }
  return out;
}

const nlohmann::json& member(const nlohmann::json& object, const char* key) {
  static const nlohmann::json null;
  return object.is_object() && object.contains(key) ? object[key] : null;
}

}  // namespace

std::vector<std::string> task_ids(const log::LogReader& reader) {
  return string_field(member(reader.metadata(), "tasks"), "id", "task");
}

std::vector<std::string> slot_producers(const log::LogReader& reader) {
  return string_field(member(reader.metadata(), "slots"), "producer", "slot");
}

Result<std::vector<size_t>> select_tasks(const std::vector<std::string>& ids, const std::vector<std::string>& wanted) {
  std::vector<size_t> selected;
  if (wanted.empty()) {
    for (size_t i = 0; i < ids.size(); ++i) selected.push_back(i);
    return selected;
  }
  for (const auto& name : wanted) {
    const auto it = std::find(ids.begin(), ids.end(), name);
    if (it == ids.end()) return Status::error(fmt::format("no task \"{}\" in the log", name));
    selected.push_back(static_cast<size_t>(it - ids.begin()));
  }
  std::sort(selected.begin(), selected.end());
  selected.erase(std::unique(selected.begin(), selected.end()), selected.end());
  return selected;
}

void for_each_in_range(log::LogReader& reader, const ClRange& range,
                       const std::function<bool(const log::CopperListView&)>& visit) {
  reader.for_each_copperlist(
      [&](const log::CopperListView& cl) {
        // Ids increase in any log a writer closed; in a damaged one, ids
        // after the range end are not trusted to come back into it.
        if (range.past_end(cl.id)) return false;
        return cl.id < range.first() || visit(cl);
      },
      range.first());
}

Progress::Progress(uint64_t total)
    : line_(std::make_unique<ProgressLine>(
          counter_, [] { return uint64_t{0}; }, total)) {}

uint64_t expected_cls(const log::LogReader& reader) {
  const auto& count = member(reader.summary(), "cl_count");
  return count.is_number_unsigned() ? count.get<uint64_t>() : 0;
}

std::string seconds_text(int64_t ns) {
  const bool negative = ns < 0;
  const uint64_t magnitude = negative ? 0 - static_cast<uint64_t>(ns) : static_cast<uint64_t>(ns);
  return fmt::format("{}{}.{:09}", negative ? "-" : "", magnitude / 1'000'000'000, magnitude % 1'000'000'000);
}

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> items;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    if (comma > start) items.emplace_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return items;
}

}  // namespace copper::logtool
