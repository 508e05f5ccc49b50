// What every copper-log subcommand shares: exit codes, opening a log with
// one clear line on failure, where output goes, which tasks and copperlists
// were asked for, and the progress line on a terminal.
#pragma once

#include <cstdint>
#include <fstream>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "copper/log/reader.hpp"
#include "copper/status.hpp"
#include "exit_codes.hpp"  // the three tools' one table
#include "output_file.hpp"
#include "progress.hpp"

namespace copper::logtool {

using ::copper::exit_code_for;
using ::copper::kExitCannotRun;
using ::copper::kExitDamaged;
using ::copper::kExitFailed;
using ::copper::kExitOk;

// Where a subcommand writes: its output stream (stdout or -o FILE) and
// stderr for diagnostics, so tests can run subcommands in-process.
struct Io {
  std::ostream& out;
  std::ostream& err;
};

// Opens a log; on failure prints "error: <reason>" on io.err.
std::optional<log::LogReader> open_log(const std::string& path, std::ostream& err);

// "<log>: the metadata record is unreadable (<why>): nothing can be
// decoded" when the log opened without its metadata, else empty.
std::string metadata_problem(log::LogReader& reader);

// True, after "error: " and metadata_problem on err, when the log opened
// without its metadata: then no copperlist, text entry or span can be
// decoded, so a subcommand that decodes them cannot run (exit 2,
// docs/exit-codes.md) rather than report an empty log.
bool metadata_unreadable(log::LogReader& reader, std::ostream& err);

// open_log, refusing (as above) a log whose metadata is unreadable.
std::optional<log::LogReader> open_decodable_log(const std::string& path, std::ostream& err);

// The output of a subcommand: `path` when given, else the fallback stream.
// A file is written aside (OutputFile) and replaces a regular file at
// `path` only when finish() succeeds; without finish() nothing changes.
class Output {
 public:
  static Result<Output> open(const std::string& path, std::ostream& fallback);
  std::ostream& stream() { return file_ ? *file_ : *fallback_; }
  // Flushes and, for a file, moves it into place; reports a write error.
  Status finish();

 private:
  std::string path_;
  std::optional<OutputFile> target_;
  std::unique_ptr<std::ofstream> file_;
  std::ostream* fallback_ = nullptr;
};

// An inclusive copperlist id range; either end may be open.
struct ClRange {
  std::optional<uint64_t> from;
  std::optional<uint64_t> to;

  uint64_t first() const { return from.value_or(0); }
  bool past_end(uint64_t id) const { return to && id > *to; }
  bool contains(uint64_t id) const { return id >= first() && !past_end(id); }
};

// The log's task ids by index, and each slot's producer id by index.
std::vector<std::string> task_ids(const log::LogReader& reader);
std::vector<std::string> slot_producers(const log::LogReader& reader);

// Indexes of the tasks named in a "--tasks a,b" list (all tasks when the
// list is empty); an error names the first unknown task.
Result<std::vector<size_t>> select_tasks(const std::vector<std::string>& ids, const std::vector<std::string>& wanted);

// Walks the copperlists of `range` in file order (through the index when
// `from` is set); visit returns false to stop.
void for_each_in_range(log::LogReader& reader, const ClRange& range,
                       const std::function<bool(const log::CopperListView&)>& visit);

// A progress line on stderr while a long walk runs (only on a terminal).
// `total` copperlists when known (a cleanly closed log's summary), else 0.
class Progress {
 public:
  explicit Progress(uint64_t total);
  void add(uint64_t n = 1) { counter_.add(n); }

 private:
  CommitCounter counter_;
  std::unique_ptr<ProgressLine> line_;
};

// The copperlist count from the summary of a closed log, else 0.
uint64_t expected_cls(const log::LogReader& reader);

// "1.234567890": nanoseconds as seconds, exactly (no floating point).
std::string seconds_text(int64_t ns);

// Splits "a,b,c" (empty items dropped).
std::vector<std::string> split_list(std::string_view text);

}  // namespace copper::logtool
