// The writer's helper threads that are not their own class: the slab
// thread and the flusher (the compressor is batch_compressor.*). Each
// blocks on its own semaphore when idle; none touches what the appending
// thread owns.
#include <sys/mman.h>

#include <chrono>
#include <fmt/format.h>

#include "writer_core.hpp"

namespace copper::log::detail {

void WriterCore::start_threads() {
  slab_thread_ = std::thread([this] { slab_loop(); });
  if (options_.fsync.kind != FsyncPolicy::Kind::none) {
    flusher_running_.store(true, std::memory_order_relaxed);
    flusher_thread_ = std::thread([this] { flusher_loop(); });
  }
  if (compressor_) compressor_->start();
}

void WriterCore::set_background_failure(Status status) {
  {
    std::lock_guard lock(failure_mutex_);
    if (background_status_.ok()) background_status_ = std::move(status);
  }
  background_failed_.store(true, std::memory_order_release);
  // Wake the appending thread wherever it may be waiting.
  slab_events_.fetch_add(1, std::memory_order_release);
  slab_events_.notify_all();
  if (compressor_) compressor_->wake();
}

// --- slab thread

namespace {

// Takes the first-write costs of a fresh slab here rather than on the
// commit path. MADV_POPULATE_WRITE (Linux 5.14) makes the kernel's page
// tables in one call; a store to each page (the zero already there) then
// also pays what a VM with shadow page tables charges for a page's first
// touch, a few microseconds here, which populate alone leaves to the first
// memcpy of the commit path (64 B records, policy none: 1.0-1.2 M records/s
// with populate alone, 2.0-2.3 M with the touch, docs/benchmarks.md).
// Older kernels get the touch alone.
void prefault(const Mapping& mapping) {
#ifdef MADV_POPULATE_WRITE
  (void)madvise(mapping.data(), mapping.size(), MADV_POPULATE_WRITE);
#endif
  constexpr uint64_t kPage = 4096;
  auto* bytes = reinterpret_cast<volatile uint8_t*>(mapping.data());
  for (uint64_t at = 0; at < mapping.size(); at += kPage) bytes[at] = 0;
}

}  // namespace

Status WriterCore::prepare_slab(uint64_t slab) {
  Status status = file_->reserve((slab + 1) * slab_size_);
  if (!status.ok()) return status;
  auto mapping = file_->map(slab * slab_size_, slab_size_, slab_pages_);
  if (!mapping.ok()) return mapping.status();
  prefault(**mapping);
  ring_[slab % kRingSlabs].store(mapping->release(), std::memory_order_release);
  prepared_.store(slab + 1, std::memory_order_release);
  return {};
}

// Unmaps slabs the appending thread has left and, with a flusher, that it
// has synced (the flusher msyncs through these mappings). Without one
// (policy none), starts writing each slab back as it leaves: otherwise the
// whole log stays dirty in memory until the final fdatasync, which then
// waits for all of it at close (a third of a 64 B record benchmark's time),
// and a long run meets the kernel's dirty-page throttling in its page
// faults. A failure there is left to that fdatasync to report. True when
// the ring has room for another slab.
bool WriterCore::retire_slabs(uint64_t& oldest) {
  const uint64_t writer = writer_slab_.load(std::memory_order_acquire);
  const uint64_t below = retire_below_.load(std::memory_order_acquire);
  while (oldest < writer && (oldest + 1) * slab_size_ <= below) {
    delete ring_[oldest % kRingSlabs].exchange(nullptr, std::memory_order_acq_rel);
    if (options_.fsync.kind == FsyncPolicy::Kind::none) (void)file_->start_writeback(oldest * slab_size_, slab_size_);
    ++oldest;
  }
  return prepared_.load(std::memory_order_relaxed) - oldest < kRingSlabs;
}

// Keeps kSpareSlabs slabs reserved, mapped and prefaulted ahead of the
// appending thread.
void WriterCore::slab_loop() {
  uint64_t oldest = 0;
  bool failed = false;
  for (;;) {
    const bool room = retire_slabs(oldest);
    const uint64_t next = prepared_.load(std::memory_order_relaxed);
    const bool wanted = !failed && next <= writer_slab_.load(std::memory_order_acquire) + kSpareSlabs;
    if (wanted && room) {
      Status status = prepare_slab(next);
      if (!status.ok()) {
        failed = true;
        if (zstd_) {
          // Batches in memory still need room in the file: stop now, while
          // the prepared slabs can take them.
          set_background_failure(std::move(status));
        } else {
          // Not a failure of the log yet: the prepared slabs still have
          // room. The appending thread reports it when it needs this slab.
          std::lock_guard lock(failure_mutex_);
          slab_status_ = std::move(status);
          slab_failed_.store(true, std::memory_order_release);
        }
      }
      slab_events_.fetch_add(1, std::memory_order_release);
      slab_events_.notify_all();
      continue;
    }
    // Every ring slot holds a slab the flusher has yet to sync.
    if (wanted) flush_wake_.release();
    if (stop_slabs_.load(std::memory_order_acquire)) return;
    slab_wake_.acquire();
  }
}

// --- flusher

// Makes [synced_end_, end) durable. Where the range is still mapped, a
// ranged msync(MS_SYNC) does it alone: on Linux it is an fdatasync limited
// to that range (data, then the journal commit and cache flush). A
// whole-file fdatasync would also write back the spare slabs, whose
// prefaulted pages are dirty zeros: the same pages written twice, the
// second time after a fresh write fault. Slabs below retire_below_ may be
// gone (the appending thread left them without a flusher); then fdatasync
// writes their pages.
Status WriterCore::sync_to(uint64_t end) {
  const uint64_t from = synced_end_.load(std::memory_order_relaxed);
  const uint64_t retirable = retire_below_.load(std::memory_order_acquire);
  bool unmapped = false;
  for (uint64_t slab = from / slab_size_; from < end && slab <= (end - 1) / slab_size_; ++slab) {
    if ((slab + 1) * slab_size_ <= retirable) {
      unmapped = true;
      continue;
    }
    const uint64_t lo = std::max(from, slab * slab_size_);
    const uint64_t hi = std::min(end, (slab + 1) * slab_size_);
    Status status = file_->flush(*ring(slab), lo, hi - lo);
    if (!status.ok()) return status;
  }
  if (unmapped) {
    Status status = file_->datasync();
    if (!status.ok()) return status;
  }
  synced_end_.store(end, std::memory_order_relaxed);
  syncs_.fetch_add(1, std::memory_order_relaxed);
  return {};
}

void WriterCore::flusher_loop() {
  const bool timed = options_.fsync.kind == FsyncPolicy::Kind::interval;
  const auto period = std::chrono::milliseconds(options_.fsync.interval_ms);
  for (;;) {
    if (timed) (void)flush_wake_.try_acquire_for(period);
    else flush_wake_.acquire();
    while (flush_wake_.try_acquire()) {
    }
    if (stop_flusher_.load(std::memory_order_acquire)) return;  // close makes the last sync itself
    // The count first: the appending thread publishes it after the offset.
    const uint64_t copperlists = appended_cls_.load(std::memory_order_acquire);
    const uint64_t end = appended_end_.load(std::memory_order_acquire);
    if (end <= synced_end_.load(std::memory_order_relaxed)) continue;
    Status status = sync_to(end);
    if (!status.ok()) {
      sync_failed_.store(true, std::memory_order_release);
      set_background_failure(std::move(status));
      return;
    }
    durable_cls_.store(copperlists, std::memory_order_release);
    retire_below_.store(end, std::memory_order_release);
    (void)marks_.push(SyncMark{end, copperlists, wall_now_ns()});
    slab_wake_.release();
  }
}

void WriterCore::stop_flusher() {
  stop_flusher_.store(true, std::memory_order_release);
  flush_wake_.release();
  if (flusher_thread_.joinable()) flusher_thread_.join();
  flusher_running_.store(false, std::memory_order_relaxed);
}

void WriterCore::stop_slab_thread() {
  stop_slabs_.store(true, std::memory_order_release);
  slab_wake_.release();
  if (slab_thread_.joinable()) slab_thread_.join();
}

void WriterCore::stop_threads() {
  if (compressor_) compressor_->stop();
  stop_flusher();
  stop_slab_thread();
}

}  // namespace copper::log::detail
