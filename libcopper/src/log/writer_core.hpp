// The log writer's machinery (see writer.hpp for the threads). Split over
//   writer.cpp           creation, metadata, close, summary, index, footer
//   writer_append.cpp    the appending thread: what goes into each record, commit, batches
//   writer_threads.cpp   starting, stopping and failing the helper threads
//   writer_recorded.cpp  writing copperlists read from another log (recover)
//   record_appender.*    framing records into the slabs, slab switches (its own class)
//   flusher.*            the flusher thread and the sync marks (its own class)
//   slab_ring.*          the slab thread and the mapped slabs (its own class)
//   batch_compressor.*   the zstd thread and its pool of batches (its own class)
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <semaphore>
#include <thread>
#include <vector>

#include "batch_compressor.hpp"
#include "copper/copperlist.hpp"
#include "copper/log/file.hpp"
#include "copper/log/format.hpp"
#include "copper/log/reader.hpp"
#include "copper/log/writer.hpp"
#include "flusher.hpp"
#include "layout.hpp"
#include "record_appender.hpp"
#include "slab_ring.hpp"

namespace copper::log::detail {

// What a graph contributes to a log's metadata (tasks, slots, config,
// plugins, foxglove views): also what the live view (copper-record
// --serve) advertises. An error when a declared foxglove view does not fit.
nlohmann::json graph_metadata(const Graph& graph);
Result<nlohmann::json> log_metadata(const Graph& graph);

// Each copperlists record gets an entry until the array is full; then every
// other entry is dropped and only every 2^k-th record is kept, so the index
// always fits in one record (which cannot cross a slab) and its memory is
// allocated once.
class Index {
 public:
  explicit Index(size_t capacity) { entries_.reserve(capacity); }
  void add(uint64_t first_cl_id, uint32_t cl_count, uint64_t offset);
  const std::vector<IndexEntry>& entries() const { return entries_; }

 private:
  std::vector<IndexEntry> entries_;
  uint64_t records_ = 0;
  uint64_t stride_ = 1;
};

class WriterCore {
 public:
  WriterCore(const WriterOptions& options, uint32_t task_count, uint32_t slot_count, std::unique_ptr<LogFile> file);
  ~WriterCore();
  WriterCore(const WriterCore&) = delete;
  WriterCore& operator=(const WriterCore&) = delete;

  // `metadata` holds at least config, tasks, slots and
  // logging.keyframe_interval; open fills in the writer's own fields.
  Status open(nlohmann::json metadata);
  Status commit(const CopperList& cl);
  Status commit_recorded(const CopperListView& cl);
  Status write_recorded_text(std::span<const TextEntry> entries);
  Status write_recorded_keyframe(const Keyframe& keyframe);
  Status write_event(EventKind kind, uint64_t cl_id, std::string_view message);
  Status write_failure(const CopperList& cl, const TaskFailure& failure);
  Status write_recorded_failure(const RecordedFailure& failure);
  Status write_strings(std::span<const TextString> strings);
  Status close(std::string_view end_reason);
  void abandon();

  uint64_t committed_cls() const { return appended_cls_.load(std::memory_order_acquire); }
  uint64_t durable_cls() const { return flusher_.durable_copperlists(); }
  uint64_t appended_bytes() const { return appender_.published_end().load(std::memory_order_acquire); }
  LogWriter::Stats stats() const;

 private:
  // --- writer.cpp
  SlabRing::Hooks slab_hooks();
  RecordAppender::Hooks appender_hooks();
  std::array<uint8_t, kFileHeaderSize> encode_file_header() const;
  void learn_slot_producers(const nlohmann::json& metadata);
  void complete_metadata(nlohmann::json& metadata) const;
  Status write_json(RecordType type, const nlohmann::json& value);
  Status write_summary(std::string_view end_reason, uint64_t& offset);
  Status write_index(uint64_t& offset);
  Status write_footer(uint64_t summary_offset, uint64_t index_offset);
  Status finish_close(std::string_view end_reason);
  Status drain_batches();
  Status final_sync();
  Status set_clean_flag();

  // --- writer_append.cpp (records are framed by appender_)
  Status check_background();
  Status fail(Status status);
  Status append_keyframe(const CopperList& cl);
  Status append_keyframe(uint64_t cl_id, std::span<const KeyframeState> states);
  Status append_text(const CopperList& cl);
  Status append_named_strings(const CopperList& cl);
  bool string_written(uint32_t id) const;
  Status append_string(const TextString& s);
  Status append_sync_marks();
  Status append_failure(std::string_view phase, std::string_view task, std::string_view message,
                        const CopperListView& cl);
  // A copperlist entry is sized, then written where it goes: straight into
  // the mapping for a plain log, into the batch for a zstd one. entry_size
  // notes each slot's size in slot_sizes_ for the write_entry that follows,
  // which is given the entry's size.
  // Entry is a live CopperList or a CopperListView read from a log.
  size_t entry_size(const CopperList& cl);
  void write_entry(const CopperList& cl, size_t size, uint8_t* p) const;
  // Writes an entry's head (length, id, time) and returns where its task
  // records go.
  static uint8_t* write_entry_head(uint8_t* p, size_t size, uint64_t id, int64_t time);
  template <class Entry>
  void encode_entry(const Entry& cl, std::vector<uint8_t>& out);
  void write_payload_header(uint8_t* p, uint64_t first_cl_id, uint32_t count) const;
  // One copperlist into the file (plain) or the batch being filled (zstd).
  template <class Entry>
  Status commit_entry(const Entry& cl);
  void count_commit(uint64_t cl_id);

  Status append_copperlists(std::span<const uint8_t> payload, uint16_t flags, uint64_t first, uint32_t count,
                            uint64_t raw_bytes);
  // Frames the copperlists record appender_.begin() placed and indexes it.
  void finish_copperlists(uint16_t flags, uint64_t first, uint32_t count, uint32_t length, uint64_t raw_bytes);
  // A plain log's record for one copperlist, straight into the mapping.
  template <class Entry>
  Status append_plain(const Entry& cl);
  // A zstd log: the batch being filled, and the bound on what waits in
  // memory (docs/log-format.md, "Durability").
  bool open_batch(uint64_t first_cl_id);
  bool batch_ready_to_close() const;
  void submit_batch();
  Status drain_compressed();
  Status keep_queued_at_most(size_t batches);
  // A full disk: what waits in memory must fit in the slabs prepared.
  Status check_room(uint64_t entry, std::initializer_list<uint64_t> records);
  uint64_t keyframe_length(const CopperList& cl) const;
  uint64_t text_length(const CopperList& cl) const;
  Status append_batch(const Batch& batch, bool packed);

  // --- writer_recorded.cpp
  size_t entry_size(const CopperListView& cl);
  void write_entry(const CopperListView& cl, size_t size, uint8_t* p) const;

  // --- writer_threads.cpp
  void start_threads();
  void set_background_failure(Status status);
  void check_truncation();
  void stop_threads();

  WriterOptions options_;
  std::unique_ptr<LogFile> file_;
  const uint64_t slab_size_;
  const uint32_t task_count_;
  const uint32_t slot_count_;
  std::vector<uint32_t> slot_producer_;  // by slot: its producer's task index (kNoTask: unknown)
  const bool zstd_;
  const bool close_when_idle_;  // zstd, policy commit: close the batch at each commit the compressor is idle
  std::array<uint8_t, 16> run_id_{};
  int64_t created_ns_ = 0;

  // Owned by the appending thread.
  std::vector<uint32_t> slot_sizes_;  // by slot: encoded sizes of the entry being written
  std::vector<KeyframeState> keyframe_states_;  // room for every task: a keyframe's states
  Batch* filling_ = nullptr;
  int64_t filling_stamp_ = 0;                    // its stamp, for the compressor's age check
  std::unique_ptr<BatchCompressor> compressor_;  // zstd logs only
  Index index_;
  std::vector<bool> strings_written_;  // by string id: a string record is in this file
  uint64_t cls_ = 0, first_cl_id_ = 0, last_cl_id_ = 0;
  uint64_t raw_cl_bytes_ = 0, stored_cl_bytes_ = 0;
  uint64_t text_entries_ = 0, text_dropped_ = 0, keyframes_ = 0;
  uint64_t raw_batches_ = 0;
  Status failure_;         // sticky: the first error the appending thread saw
  bool closed_ = false;
  Status close_status_;
  std::chrono::steady_clock::time_point opened_at_;

  // Shared with the helpers.
  std::atomic<uint64_t> appended_cls_{0};
  std::atomic<bool> background_failed_{false};
  std::mutex failure_mutex_;  // guards background_status_; error path only
  Status background_status_;
  // Last: their threads call into the members above, and the flusher
  // into the ring.
  SlabRing slabs_;
  RecordAppender appender_;
  Flusher flusher_;
};

}  // namespace copper::log::detail
