// The slabs of a log file around the appending thread, prepared ahead of
// it and retired behind it by the slab thread.
//
// The file grows in slabs (docs/log-format.md). The slab thread keeps
// kSpareSlabs slabs past the appending thread's reserved on disk, mapped
// and prefaulted, so moving to the next slab on the commit path is a
// pointer swap and never a system call. Behind the appending thread, it
// unmaps each slab once its bytes may be retired (retire_below: synced by
// the flusher, or simply left when nothing syncs, then written back). At
// most kRingSlabs slabs are mapped at once: when every slot holds a slab
// that is not retirable yet, it calls the ring_full hook (the writer asks
// its flusher to sync) and waits to be woken.
//
// A slab that cannot be prepared (a full disk) is kept for the appending
// thread, which learns it from failure() when it needs that slab; a zstd
// writer looks at exhausted() on each commit, since its batches in memory
// need room in the slabs already prepared.
//
// Threads: the appending thread calls ready, failure, entered and the event
// calls; whoever syncs calls retire_below; the slab thread does the rest.
// Mapping pointers are handed over through atomics.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <semaphore>
#include <thread>

#include "copper/log/file.hpp"

namespace copper::log::detail {

class SlabRing {
 public:
  static constexpr size_t kRingSlabs = 8;
  // Two, because prefaulting a slab takes about as long as filling it.
  static constexpr uint64_t kSpareSlabs = 2;

  struct Hooks {
    std::function<void()> ring_full;  // every slot holds a slab not yet retirable
  };

  // `writeback_on_retire`: start writing each retired slab back (when no
  // flusher syncs, so dirty pages do not pile up until close).
  SlabRing(LogFile& file, uint64_t slab_size, PageSize pages, bool writeback_on_retire, Hooks hooks);
  ~SlabRing();
  SlabRing(const SlabRing&) = delete;
  SlabRing& operator=(const SlabRing&) = delete;

  // Reserves, maps and prefaults `slab` on the calling thread: slab 0, at
  // open, before start().
  Status prepare(uint64_t slab);
  void start();
  void stop();       // joins the slab thread; idempotent
  void unmap_all();  // after stop()

  // Slabs below the count that ready() reports have been mapped; mapping()
  // is valid for those not retired.
  bool ready(uint64_t slab) const { return prepared_.load(std::memory_order_acquire) > slab; }
  Mapping* mapping(uint64_t slab) const { return ring_[slab % kRingSlabs].load(std::memory_order_acquire); }
  std::optional<Status> failure() const;
  // No slab past prepared() will come: preparing the next one failed.
  bool exhausted() const { return failed_.load(std::memory_order_acquire); }
  uint64_t prepared() const { return prepared_.load(std::memory_order_acquire); }

  // The appending thread has moved to `slab`: the thread may prepare ahead.
  void entered(uint64_t slab);
  // Slabs ending at or below `end` may be unmapped.
  void retire_below(uint64_t end);
  uint64_t retirable() const { return retire_below_.load(std::memory_order_acquire); }
  void wake() { wake_.release(); }

  // A counter bumped when a slab is ready, preparing failed, or notify() is
  // called (a failure elsewhere); wait on it after reading it, as with
  // std::atomic::wait.
  uint32_t events() const { return events_.load(std::memory_order_acquire); }
  void wait_for_event(uint32_t seen) const { events_.wait(seen, std::memory_order_acquire); }
  void notify();

 private:
  void loop();
  bool retire(uint64_t& oldest);

  LogFile& file_;
  const uint64_t slab_size_;
  const PageSize pages_;
  const bool writeback_on_retire_;
  const Hooks hooks_;

  std::array<std::atomic<Mapping*>, kRingSlabs> ring_{};
  std::atomic<uint64_t> prepared_{0};      // slabs 0..prepared_-1 have been mapped
  std::atomic<uint64_t> writer_slab_{0};   // the slab being appended to
  std::atomic<uint64_t> retire_below_{0};  // slabs ending at or below may be unmapped
  std::atomic<uint32_t> events_{0};
  mutable std::mutex failure_mutex_;
  Status failure_;  // guarded by failure_mutex_
  std::atomic<bool> failed_{false};
  std::atomic<bool> stopping_{false};
  std::counting_semaphore<(1 << 30)> wake_{0};
  std::thread thread_;
};

}  // namespace copper::log::detail
