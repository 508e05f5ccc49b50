// The CSV form of an export: one table, one row per copperlist, one column
// per scalar leaf of each selected slot's schema (tools/README.md, "CSV").
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "selection.hpp"

namespace copper::logtool {

// RFC 4180: quoted when it holds a comma, a quote or a line break; quotes doubled.
void append_csv_field(std::string& out, std::string_view field);

class CsvTable {
 public:
  // Columns: cl_id, time_ns, then per selected task with --metadata
  // "<task>.start_ns", "<task>.end_ns", "<task>.status", then per slot
  // "<task>.time_of_validity_ns" and "<task>.<field path>" per leaf.
  CsvTable(const Selection& selection, bool with_tasks, bool blobs);

  const std::vector<std::string>& columns() const { return columns_; }
  void append_header(std::string& out) const;
  // `cl` is what CopperListJson made of the copperlist.
  void append_row(std::string& out, const nlohmann::json& cl) const;

 private:
  struct Column {
    std::string name;
    std::string group;              // "tasks" or "slots"
    std::string key;                // the task id
    std::vector<std::string> path;  // inside the task's object
  };
  void add_leaves(const nlohmann::json& type, const std::string& task, std::vector<std::string>& path, bool blobs);

  std::vector<std::string> columns_;
  std::vector<Column> cells_;  // after cl_id and time_ns
};

}  // namespace copper::logtool
