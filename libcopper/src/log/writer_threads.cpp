// The writer's helper thread that is not its own class yet: the flusher
// (the slab thread is slab_ring.*, the compressor batch_compressor.*). It
// blocks on its semaphore when idle and touches nothing the appending
// thread owns.

#include <chrono>
#include <fmt/format.h>

#include "writer_core.hpp"

namespace copper::log::detail {

void WriterCore::start_threads() {
  slabs_.start();
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
  slabs_.notify();
  if (compressor_) compressor_->wake();
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
  const uint64_t retirable = slabs_.retirable();
  bool unmapped = false;
  for (uint64_t slab = from / slab_size_; from < end && slab <= (end - 1) / slab_size_; ++slab) {
    if ((slab + 1) * slab_size_ <= retirable) {
      unmapped = true;
      continue;
    }
    const uint64_t lo = std::max(from, slab * slab_size_);
    const uint64_t hi = std::min(end, (slab + 1) * slab_size_);
    Status status = file_->flush(*slabs_.mapping(slab), lo, hi - lo);
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
    slabs_.retire_below(end);
    (void)marks_.push(SyncMark{end, copperlists, wall_now_ns()});
    slabs_.wake();
  }
}

void WriterCore::stop_flusher() {
  stop_flusher_.store(true, std::memory_order_release);
  flush_wake_.release();
  if (flusher_thread_.joinable()) flusher_thread_.join();
  flusher_running_.store(false, std::memory_order_relaxed);
}

void WriterCore::stop_threads() {
  if (compressor_) compressor_->stop();
  stop_flusher();
  slabs_.stop();
}

}  // namespace copper::log::detail
