// Reading a copper log (docs/log-format.md): the header, the metadata, and
// every record that verifies, from clean, unclosed and damaged files alike.
//
//   auto reader = copper::log::LogReader::open("run.copper");
//   if (!reader) { print(reader.error_message()); return; }
//   reader->for_each_copperlist([&](const CopperListView& cl) {
//     print(reader->copperlist_to_json(cl).dump());
//     return true;  // false stops
//   });
//   for (const auto& d : reader->check().damage) print(d.offset, d.length, d.reason);
//
// Guarantees: whatever the bytes, nothing here crashes or reads outside the
// file, and no value is handed out from a record whose checksum failed or
// whose contents do not parse. Damaged ranges are skipped and reported by
// check(); iteration skips them silently.
//
// Spans handed to a callback point into the mapping or into a scratch buffer
// and are valid only during that callback. A LogReader is not thread-safe;
// open one per thread. The file must not shrink while it is open (the
// mapping would fault).
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "copper/export.hpp"
#include "copper/log/file.hpp"
#include "copper/log/format.hpp"
#include "copper/message_schema.hpp"
#include "copper/status.hpp"
#include "copper/task_status.hpp"

namespace copper::log {

struct ReaderAccess;  // the follower's view of a reader's framing (src/log/reader_access.hpp)

// A byte range of the file that holds nothing usable, and why. A record
// whose checksum verified but whose contents break the format is damage
// too (offset and footprint of that record). Copperlist ids that go back or
// repeat end the log: from that record to the written end is damage, and no
// walk returns anything past it (stale data of an earlier recording in a
// reused file). A zero-length entry states a fact about the file as a whole,
// e.g. a cleanly closed log whose footer was cut off.
struct Damage {
  uint64_t offset = 0;
  uint64_t length = 0;
  std::string reason;
};

struct LogHeader {
  uint32_t version = 0;
  bool clean_close = false;
  std::array<uint8_t, 16> run_id{};
  std::string run_id_hex;
  int64_t created_unix_ns = 0;
  uint64_t slab_size = 0;  // as recorded; LogReader::slab_size() is the one in use
  bool checksum_ok = false;
};

struct TaskTiming {
  int64_t start_ns = 0;
  int64_t end_ns = 0;
  TaskStatus status = TaskStatus::not_run;  // checked to be one copper writes
};

struct SlotData {
  int64_t time_of_validity_ns = 0;
  std::span<const uint8_t> bytes;  // the message encoding of message.hpp
};

struct CopperListView {
  uint64_t id = 0;
  int64_t time_ns = 0;
  std::span<const TaskTiming> tasks;  // by task index
  std::span<const SlotData> slots;    // by slot index
};

struct TextEntry {
  uint64_t cl_id = 0;
  uint32_t task_index = kNoTask;
  uint32_t string_id = 0;
  TextLevel level = TextLevel::info;
  uint8_t arg_count = 0;
  std::span<const uint8_t> args;  // tagged values, checked to be well formed
};

// A string record's content, owned: a CheckReport outlives its reader.
struct StringEntry {
  uint32_t id = 0;
  TextLevel level = TextLevel::info;
  uint32_t line = 0;
  std::string file;
  std::string format;

  TextString view() const { return {id, level, line, file, format}; }
};

struct KeyframeState {
  uint32_t task_index = 0;
  std::span<const uint8_t> state;
};

struct Keyframe {
  uint64_t cl_id = 0;  // the states are those just before this copperlist ran
  std::span<const KeyframeState> states;
};

struct Event {
  EventKind kind = EventKind::start;  // may hold a value newer than this reader
  uint64_t cl_id = 0;
  int64_t time_ns = 0;
  std::string message;
};

struct SyncMark {
  uint64_t durable_offset = 0;
  uint64_t durable_cls = 0;
  int64_t time_ns = 0;
};

// The copperlist a run stopped on because a task failed in it (record type
// 12): never committed, kept with the error so a replay can reproduce the
// failure. Its message bytes are copied: the reader's scratch space moves.
// Slots whose producer did not finish (status other than 1) are empty.
struct RecordedFailure {
  std::string task_id;
  std::string phase;    // preprocess, process or postprocess
  std::string message;  // the error
  uint64_t cl_id = 0;
  int64_t time_ns = 0;
  std::vector<TaskTiming> tasks;            // by task index
  std::vector<int64_t> time_of_validity;    // by slot
  std::vector<std::vector<uint8_t>> slots;  // by slot: message bytes

  // "task "x" failed in process at copperlist 41: <message>"
  COPPER_API std::string describe() const;
};

// A verified record; its payload is decompressed.
struct RecordView {
  uint16_t type = 0;  // a RecordType, or a newer type this reader does not know
  uint16_t flags = 0;
  uint64_t offset = 0;
  uint64_t footprint = 0;  // bytes the record occupies in the file
  std::span<const uint8_t> payload;
};

// The result of one full verification pass over the file.
struct CheckReport {
  std::vector<Damage> damage;         // file order; includes header and metadata problems
  uint64_t unwritten_tail_bytes = 0;  // zeros after the last record: normal for an unclosed log
  uint64_t verified_records = 0;      // padding excluded
  std::map<std::string, uint64_t> records_by_type;
  uint64_t cl_count = 0;
  std::optional<uint64_t> first_cl_id;
  std::optional<uint64_t> last_cl_id;
  std::vector<std::pair<uint64_t, uint64_t>> missing_cls;  // [first, last] id ranges absent between present ones
  uint64_t text_entries = 0;
  uint64_t keyframes = 0;
  std::vector<StringEntry> strings;
  std::vector<Event> events;
  std::vector<SyncMark> sync_marks;  // the last one is the durable watermark
  std::optional<RecordedFailure> failure;  // the last failure record, if any

  bool clean() const { return damage.empty(); }
};

// A pull-style walk over the copperlists of a LogReader, for consumers that
// take one copperlist at a time when they are ready for it (replay admits
// copperlists this way). Same salvage rules as for_each_copperlist. Must not
// outlive its reader.
class COPPER_API CopperListCursor {
 public:
  CopperListCursor(CopperListCursor&&) noexcept;
  CopperListCursor& operator=(CopperListCursor&&) noexcept;
  ~CopperListCursor();

  // The next copperlist in file order, or null at the end. The view and its
  // spans stay valid until the next call.
  const CopperListView* next();
  // True when the last view's message bytes lie in the reader's file mapping
  // (an uncompressed record): those spans then stay valid as long as the
  // reader, not only until the next call.
  bool last_in_mapping() const;

 private:
  friend class LogReader;
  struct State;
  explicit CopperListCursor(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

class COPPER_API LogReader {
 public:
  // Errors are one line naming the file: missing, a directory, empty, shorter
  // than the header, not a copper log, written by a newer copper. Damage
  // (including a bad header checksum) is not an error: see check().
  static Result<LogReader> open(const std::filesystem::path& path);
  // The same through `open_view` (file.hpp), which tests replace to inject
  // read faults.
  static Result<LogReader> open(const std::filesystem::path& path, const FileViewFactory& open_view);

  LogReader(LogReader&&) noexcept;
  LogReader& operator=(LogReader&&) noexcept;
  ~LogReader();

  const std::filesystem::path& path() const;
  uint64_t file_size() const;
  const LogHeader& header() const;
  // The slab size the scan uses: the header's, or with a damaged header the
  // metadata's, or else the 8 MiB default.
  uint64_t slab_size() const;
  // The metadata JSON; null when the first record is missing or damaged.
  const nlohmann::json& metadata() const;
  // True when the file ends with a verified footer (a clean close).
  bool has_footer() const;
  // The summary the writer left on clean close; null without a footer.
  const nlohmann::json& summary() const;

  // Verifies the whole file once (later calls return the same report).
  const CheckReport& check();

  // Every verified record in file order (padding excluded, unknown types
  // included). A zstd payload that does not decompress is skipped.
  void for_each_record(const std::function<bool(const RecordView&)>& visit);
  // Copperlists in file order, starting at the first whose id >= from_id;
  // with an intact index the walk starts at the record holding from_id.
  void for_each_copperlist(const std::function<bool(const CopperListView&)>& visit, uint64_t from_id = 0);
  // A cursor at the first copperlist whose id >= from_id (through the index
  // when it is intact).
  CopperListCursor copperlists(uint64_t from_id = 0);
  // Calls visit with copperlist `id` and returns true, or returns false.
  bool find_copperlist(uint64_t id, const std::function<void(const CopperListView&)>& visit);
  void for_each_text(const std::function<bool(const TextEntry&)>& visit);
  void for_each_keyframe(const std::function<bool(const Keyframe&)>& visit);

  // Slot `slot`'s schema, compiled once at open; an error when the metadata
  // has no such slot or no valid schema for it.
  Result<MessageDecoder> slot_decoder(size_t slot) const;

  // {"id", "time_ns", "tasks": [{"id", "start_ns", "end_ns", "status"}],
  //  "slots": {producer id: {"time_of_validity_ns", "message"}}}: messages are
  // decoded through the metadata's schemas; a slot that cannot be decoded
  // gets {"time_of_validity_ns", "error", "size"} instead of "message".
  nlohmann::json copperlist_to_json(const CopperListView& cl) const;

 private:
  friend class CopperListCursor;
  friend struct ReaderAccess;
  struct Impl;
  explicit LogReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace copper::log
