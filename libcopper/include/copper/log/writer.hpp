// The log writer: appends the records of docs/log-format.md to an mmap'ed,
// slab-preallocated file, as the runtime's CommitSink.
//
// Threads. Only the thread calling commit / write_event / write_strings /
// close appends to the file; helpers talk to it through atomics and
// lock-free queues, so a steady-state commit takes no lock, makes no system
// call and allocates nothing:
//   - the slab thread keeps the next slab reserved (posix_fallocate) and
//     mapped ahead of time and unmaps the ones left behind;
//   - the flusher (absent with fsync policy "none") syncs what was appended,
//     per policy, and reports each durable point, which the commit path
//     turns into a sync record;
//   - the compressor (only with zstd) compresses batches of copperlists,
//     which the commit path then copies into the file (or copies raw, not
//     waiting, when a second batch closes first: docs/log-format.md,
//     "Durability", bounds what a crash loses).
// An I/O failure in a helper (a full disk, EIO) makes the next commit
// fail; everything appended before stays readable.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string_view>

#include "copper/export.hpp"
#include "copper/graph.hpp"
#include "copper/log/file.hpp"
#include "copper/log/format.hpp"
#include "copper/log/policy.hpp"
#include "copper/runtime.hpp"
#include "copper/status.hpp"

namespace copper::log {

struct COPPER_API WriterOptions {
  std::filesystem::path path;
  bool overwrite = false;
  FsyncPolicy fsync;
  Compression compression;
  uint64_t slab_size = kDefaultSlabSize;  // a power of two >= kMinSlabSize
  // zstd batching: a batch is compressed once it holds this many
  // copperlists or bytes, or once it is batch_age() old. batch_bytes must
  // be at most a quarter of the slab.
  uint32_t batch_cls = 64;
  uint64_t batch_bytes = 1u << 20;
  // Rewriting recorded data (recover; tests that want fixed batches): no
  // cycle can stall, so a zstd writer waits for its compressor instead of
  // writing batches raw, and batches close only when full.
  bool offline = false;
  LogFileFactory open_file;  // empty: open_log_file (the real file)
  // Replace the "host" / "build" objects of the metadata when not null
  // (tests, or a recorder that knows more).
  nlohmann::json host_info;
  nlohmann::json build_info;

  // Fills fsync, compression and slab size from a LoggingConfig (batch_bytes
  // shrinks to a quarter of a small slab).
  static Result<WriterOptions> from(const LoggingConfig& logging);

  // zstd: how long a batch may stay open, from the fsync policy: the
  // policy's interval when shorter than kMaxBatchAge, kMaxBatchAge
  // otherwise; zero under policy commit, whose batches close at every
  // commit that finds the compressor idle.
  std::chrono::milliseconds batch_age() const;
  // What a process crash (SIGKILL) can lose of the copperlists commit()
  // accepted (docs/log-format.md, "Durability"): nothing without
  // compression; with zstd, the batch being filled and at most
  // kQueuedBatches closed batches not yet in the file, each at most
  // batch_cls copperlists and less than batch_bytes plus one copperlist.
  uint64_t crash_loss_cls() const;
  static constexpr uint32_t kQueuedBatches = 1;
  static constexpr std::chrono::milliseconds kMaxBatchAge{100};
};

namespace detail {
class WriterCore;
}

// Read from a log (reader.hpp); the writer can write them again.
struct CopperListView;
struct TextEntry;
struct Keyframe;
struct RecordedFailure;

class COPPER_API LogWriter final : public CommitSink {
 public:
  // Creates the file (refusing an existing one unless overwrite), writes the
  // header, the metadata record and a start event, starts the helpers.
  static Result<std::unique_ptr<LogWriter>> create(const WriterOptions& options, const Graph& graph);
  // A writer that rewrites recorded data (copper-log recover): its metadata
  // is `metadata` as read from a log (config, tasks, slots, host, ...), with
  // the writer's own fields (run id, creation time, slab size, logging
  // policy) replaced. Copperlists then come through commit_recorded.
  static Result<std::unique_ptr<LogWriter>> create_from_metadata(const WriterOptions& options,
                                                                 const nlohmann::json& metadata);
  // Closes with end reason "writer destroyed" if close() was not called.
  ~LogWriter() override;
  LogWriter(const LogWriter&) = delete;
  LogWriter& operator=(const LogWriter&) = delete;

  // The hot path; copperlists must arrive in id order.
  Status commit(const CopperList& cl) override;
  Status write_event(EventKind kind, uint64_t cl_id, std::string_view message);
  // The copperlist a task failed on, which is not committed: its entry as
  // it stood (sources' outputs, the tasks that ran) and the error, in a
  // failure record, with its text-log entries; so a replay can feed it
  // again and reproduce the failure.
  Status record_failure(const CopperList& cl, const TaskFailure& failure) override;
  // Appends string records. Commit already writes every entry of the
  // process-wide table (text_log.hpp) before the first text record naming
  // it; this is for strings from elsewhere (tests, tools).
  Status write_strings(std::span<const TextString> strings);

  // Recorded data, read from another log with the same tasks and slots:
  // copperlists in increasing id order (ids may skip, never go back), text
  // entries after the string records they name (write_strings), a keyframe
  // before the copperlist it is tagged with. Their bytes are copied as read.
  Status commit_recorded(const CopperListView& cl);
  Status write_recorded_text(std::span<const TextEntry> entries);
  Status write_recorded_keyframe(const Keyframe& keyframe);
  Status write_recorded_failure(const RecordedFailure& failure);

  // Drains batches, syncs, writes stop event, summary, index and footer,
  // trims the file and sets the clean flag. Idempotent: later calls return
  // the first call's result. After an I/O error it writes what still fits
  // and returns the error; the log is then left unclosed but readable.
  Status close(std::string_view end_reason);

  // For tests: stops the helpers and unmaps without closing, leaving the
  // file as a crashed process would.
  void abandon();

  // These three may be read from any thread (a progress line, say).
  uint64_t committed_cls() const;   // copperlists in the mapping (survive a process crash)
  uint64_t durable_cls() const;     // copperlists covered by the last completed sync
  uint64_t appended_bytes() const;  // file offset just past the last record appended

  struct Stats {
    uint64_t cls = 0;              // copperlists committed
    uint64_t raw_cl_bytes = 0;     // copperlists payload bytes before compression
    uint64_t stored_cl_bytes = 0;  // copperlists payload bytes in the file
    uint64_t file_bytes = 0;       // bytes appended (the file size after close)
    uint64_t syncs = 0;
    uint64_t text_entries = 0;
    uint64_t text_dropped = 0;
    uint64_t keyframes = 0;
    uint64_t slab_waits = 0;   // commits that waited for the slab thread
    uint64_t raw_batches = 0;  // zstd: copperlists records stored raw because the compressor was behind
  };
  // From the appending thread only.
  Stats stats() const;

 private:
  explicit LogWriter(std::unique_ptr<detail::WriterCore> core);
  static Result<std::unique_ptr<LogWriter>> start(const WriterOptions& options, nlohmann::json metadata,
                                                  uint32_t task_count, uint32_t slot_count);
  std::unique_ptr<detail::WriterCore> core_;
};

}  // namespace copper::log
