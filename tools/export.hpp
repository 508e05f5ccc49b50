// copper-log export: copperlists decoded through the log's own schemas (no
// application code) as one JSON document, JSON lines or a CSV table.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "selection.hpp"
#include "session.hpp"

namespace copper::logtool {

enum class ExportFormat { json, jsonl, csv };

struct ExportOptions {
  std::string log;
  ExportFormat format = ExportFormat::json;
  std::vector<std::string> tasks;  // empty: all
  ClRange range;
  bool metadata = false;  // task timings per copperlist; the log's metadata in JSON
  bool blobs = true;      // byte arrays as base64; false: left out
  std::string output;     // empty or "-": stdout
  bool progress = true;
  bool follow = false;  // read the log as it is written (follow.hpp)
};

// One copperlist as export writes it (tools/README.md):
//   {"id", "time_ns", "slots": {task: {"time_of_validity_ns", "message"}},
//    "tasks": {task: {"start_ns", "end_ns", "status"}}}   (tasks: --metadata)
class CopperListJson {
 public:
  CopperListJson(Selection selection, BytesAs bytes_as, bool with_tasks);
  nlohmann::json operator()(const log::CopperListView& cl);
  const Selection& selection() const { return selection_; }
  uint64_t decode_errors() const { return decode_errors_; }

 private:
  Selection selection_;
  BytesAs bytes_as_;
  bool with_tasks_;
  uint64_t decode_errors_ = 0;
};

struct ExportCounts {
  uint64_t copperlists = 0;
  uint64_t bytes = 0;  // written
  uint64_t decode_errors = 0;
};

// Writes the export of an open log to `out`.
Result<ExportCounts> export_log(log::LogReader& reader, const ExportOptions& options, std::ostream& out);

// 0; 1 when the log cannot be opened or the output written; 2 for an
// unknown task.
int run_export(const ExportOptions& options, Io io);

}  // namespace copper::logtool
