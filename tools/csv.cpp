#include "csv.hpp"

#include "json_text.hpp"

#include <fmt/format.h>

namespace copper::logtool {

void append_csv_field(std::string& out, std::string_view field) {
  if (field.find_first_of(",\"\r\n") == std::string_view::npos) {
    out += field;
    return;
  }
  out += '"';
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

namespace {

bool is_byte_run(const nlohmann::json& type) {
  if (!type.is_object()) return false;
  const auto element = type.contains("vector") ? type.find("vector") : type.find("array");
  return element != type.end() && element->is_string() && *element == "u8";
}

std::string join(const std::vector<std::string>& path) {
  std::string out;
  for (const auto& step : path) out += (out.empty() ? "" : ".") + step;
  return out;
}

const nlohmann::json* find_path(const nlohmann::json& root, const std::string& group, const std::string& key,
                                const std::vector<std::string>& path) {
  auto g = root.find(group);
  if (g == root.end()) return nullptr;
  auto node = g->find(key);
  if (node == g->end()) return nullptr;
  const nlohmann::json* at = &*node;
  for (const auto& step : path) {
    auto next = at->find(step);
    if (next == at->end()) return nullptr;
    at = &*next;
  }
  return at;
}

void append_value(std::string& out, const nlohmann::json& value) {
  if (value.is_null()) return;
  if (value.is_string()) return append_csv_field(out, value.get_ref<const std::string&>());
  append_csv_field(out, json_text(value));
}

}  // namespace

// Structs open into their fields; anything else (numbers, strings, vectors,
// arrays) is one column, vectors and arrays holding compact JSON.
void CsvTable::add_leaves(const nlohmann::json& type, const std::string& task, std::vector<std::string>& path,
                          bool blobs) {
  if (type.is_object() && type.contains("fields") && type["fields"].is_array()) {
    for (const auto& field : type["fields"]) {
      if (!field.is_object() || !field.contains("name") || !field["name"].is_string()) continue;
      path.push_back(field["name"].get<std::string>());
      add_leaves(field.value("type", nlohmann::json()), task, path, blobs);
      path.pop_back();
    }
    return;
  }
  if (!blobs && is_byte_run(type)) return;
  std::vector<std::string> full = {"message"};
  full.insert(full.end(), path.begin(), path.end());
  cells_.push_back({fmt::format("{}.{}", task, join(path)), "slots", task, std::move(full)});
}

CsvTable::CsvTable(const Selection& selection, bool with_tasks, bool blobs) {
  columns_ = {"cl_id", "time_ns"};
  if (with_tasks) {
    for (size_t task : selection.tasks)
      for (const char* field : {"start_ns", "end_ns", "status"})
        cells_.push_back(
            {fmt::format("{}.{}", selection.task_ids[task], field), "tasks", selection.task_ids[task], {field}});
  }
  for (const auto& slot : selection.slots) {
    cells_.push_back({slot.producer + ".time_of_validity_ns", "slots", slot.producer, {"time_of_validity_ns"}});
    std::vector<std::string> path;
    if (slot.decoder) add_leaves(slot.schema, slot.producer, path, blobs);
    cells_.push_back({slot.producer + ".error", "slots", slot.producer, {"error"}});
  }
  for (const auto& cell : cells_) columns_.push_back(cell.name);
}

void CsvTable::append_header(std::string& out) const {
  for (size_t i = 0; i < columns_.size(); ++i) {
    if (i) out += ',';
    append_csv_field(out, columns_[i]);
  }
  out += '\n';
}

void CsvTable::append_row(std::string& out, const nlohmann::json& cl) const {
  fmt::format_to(std::back_inserter(out), "{},{}", cl["id"].get<uint64_t>(), cl["time_ns"].get<int64_t>());
  for (const auto& cell : cells_) {
    out += ',';
    if (const nlohmann::json* value = find_path(cl, cell.group, cell.key, cell.path)) append_value(out, *value);
  }
  out += '\n';
}

}  // namespace copper::logtool
