#include "flusher.hpp"

#include <algorithm>
#include <chrono>

namespace copper::log::detail {

Flusher::Flusher(LogFile& file, SlabRing& slabs, uint64_t slab_size, const FsyncPolicy& policy, Appended appended,
                 std::function<void(Status)> on_failure)
    : file_(file),
      slabs_(slabs),
      slab_size_(slab_size),
      policy_(policy),
      appended_(appended),
      on_failure_(std::move(on_failure)) {}

Flusher::~Flusher() { stop(); }

void Flusher::start() {
  if (policy_.kind == FsyncPolicy::Kind::none) return;
  running_.store(true, std::memory_order_relaxed);
  thread_ = std::thread([this] { loop(); });
}

void Flusher::stop() {
  stopping_.store(true, std::memory_order_release);
  wake_.release();
  if (thread_.joinable()) thread_.join();
  running_.store(false, std::memory_order_relaxed);
}

Status Flusher::sync_to(uint64_t end) {
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
    Status status = file_.flush(*slabs_.mapping(slab), lo, hi - lo);
    if (!status.ok()) return status;
  }
  if (unmapped) {
    Status status = file_.datasync();
    if (!status.ok()) return status;
  }
  synced_end_.store(end, std::memory_order_release);
  syncs_.fetch_add(1, std::memory_order_relaxed);
  return {};
}

void Flusher::durable(uint64_t end, uint64_t copperlists) {
  durable_copperlists_.store(copperlists, std::memory_order_release);
  (void)marks_.push(SyncMark{end, copperlists, wall_now_ns()});
}

void Flusher::loop() {
  const bool timed = policy_.kind == FsyncPolicy::Kind::interval;
  const auto period = std::chrono::milliseconds(policy_.interval_ms);
  for (;;) {
    if (timed)
      (void)wake_.try_acquire_for(period);
    else
      wake_.acquire();
    while (wake_.try_acquire()) {
    }
    if (stopping_.load(std::memory_order_acquire)) return;  // close makes the last sync itself
    // The count first: the appending thread publishes it after the end.
    const uint64_t copperlists = appended_.copperlists->load(std::memory_order_acquire);
    const uint64_t end = appended_.end->load(std::memory_order_acquire);
    if (end <= synced_end_.load(std::memory_order_relaxed)) continue;
    Status status = sync_to(end);
    if (!status.ok()) {
      set_failed();
      on_failure_(std::move(status));
      return;
    }
    durable(end, copperlists);
    slabs_.retire_below(end);
    slabs_.wake();
  }
}

}  // namespace copper::log::detail
