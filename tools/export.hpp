// copper-log export: copperlists decoded through the log's own schemas (no
// application code) as one JSON document, JSON lines, a CSV table or an
// MCAP file (export_mcap.cpp, docs/mcap-export.md).
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "selection.hpp"
#include "session.hpp"

namespace copper::logtool {

enum class ExportFormat { json, jsonl, csv, mcap };

struct ExportOptions {
  std::string log;
  ExportFormat format = ExportFormat::json;
  std::vector<std::string> tasks;  // empty: all
  ClRange range;
  bool metadata = false;  // task timings per copperlist; the log's metadata in JSON
  bool blobs = true;      // byte arrays as base64; false: left out
  std::string output;     // empty or "-": stdout
  bool progress = true;
  // MCAP only (-o required; an existing file is replaced only with --force):
  bool force = false;
  bool compress = true;                     // zstd chunks; false: uncompressed
  uint64_t chunk_size = uint64_t{1} << 20;  // uncompressed bytes per chunk, > 0
  std::string mapping;                      // a JSON mapping file (docs/foxglove.md); empty: none
  // A message type with a Foxglove view: its plain channel, its view's, or
  // both; by default (automatic) both, except for images, whose view alone
  // is written (docs/mcap-export.md).
  enum class Views { automatic, both, plain, well_known } views = Views::automatic;
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
  uint64_t messages = 0;           // MCAP: Message records written
  uint64_t conversion_errors = 0;  // MCAP: messages a well-known mapping could not show
};

// Writes the export of an open log to `out`.
Result<ExportCounts> export_log(log::LogReader& reader, const ExportOptions& options, std::ostream& out);

// The MCAP export of an open log to `out` (export_mcap.cpp); warnings
// (messages that did not decode or convert) go to `warnings`.
Result<ExportCounts> export_mcap(log::LogReader& reader, const ExportOptions& options, std::ostream& out,
                                 std::ostream& warnings);

// 0; 1 when the output cannot be written; 2 when the log cannot be opened,
// for an unknown task, a bad mapping file, or (MCAP) an output that exists
// without --force.
int run_export(const ExportOptions& options, Io io);
int run_export_mcap(const ExportOptions& options, Io io);

}  // namespace copper::logtool
