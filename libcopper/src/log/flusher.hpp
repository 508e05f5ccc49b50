// The flusher of a log: makes what the appending thread wrote durable, as
// the fsync policy says, on its own thread, and hands each sync back as a
// sync mark for the appending thread to record (docs/log-format.md,
// "Durability").
//
//   commit       the appending thread wakes it after every commit
//   bytes:N      ... after every N appended bytes
//   interval:T   it wakes by itself every T (and when woken)
//   none         no thread; close makes the only sync
//
// A sync covers [synced end, appended end): the end and the copperlist
// count the appending thread published (it stores the end first, then the
// count, so a count read first never runs ahead of the end read after it).
// Where the range is still mapped, a ranged msync(MS_SYNC) does it alone:
// on Linux that is an fdatasync limited to the range. A whole-file
// fdatasync would also write back the spare slabs, whose prefaulted pages
// are dirty zeros: the same pages written twice. Slabs already retired
// (left by the appending thread with no flusher) are synced by fdatasync.
//
// A failed sync makes durability unknown: failed() stays true (the writer
// then never marks the log clean) and on_failure is told once.
#pragma once

#include <boost/lockfree/spsc_queue.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <semaphore>
#include <thread>

#include "copper/log/file.hpp"
#include "copper/log/policy.hpp"
#include "copper/log/reader.hpp"  // SyncMark
#include "slab_ring.hpp"

namespace copper::log::detail {

// Wall-clock nanoseconds since the Unix epoch, for the records people read
// (creation, events, sync marks), never for intervals.
inline int64_t wall_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class Flusher {
 public:
  // What the appending thread publishes, read here.
  struct Appended {
    const std::atomic<uint64_t>* end;          // the end of its last record
    const std::atomic<uint64_t>* copperlists;  // committed before that end
  };

  Flusher(LogFile& file, SlabRing& slabs, uint64_t slab_size, const FsyncPolicy& policy, Appended appended,
          std::function<void(Status)> on_failure);
  ~Flusher();
  Flusher(const Flusher&) = delete;
  Flusher& operator=(const Flusher&) = delete;

  void start();  // no thread under policy none
  void stop();   // joins; after it the closing thread syncs with sync_to
  bool running() const { return running_.load(std::memory_order_relaxed); }

  // The appending thread, after appending up to `end`: wakes the thread
  // when the policy asks for a sync now. Inline: it runs on every commit.
  void appended(uint64_t end) {
    if (!running()) return;
    if (policy_.kind == FsyncPolicy::Kind::commit ||
        (policy_.kind == FsyncPolicy::Kind::bytes && end - last_wake_end_ >= policy_.bytes)) {
      last_wake_end_ = end;
      wake_.release();
    }
  }
  void wake() { wake_.release(); }

  // Makes [synced_end(), end) durable: the flusher's thread, or the closing
  // thread once stop() returned.
  Status sync_to(uint64_t end);
  // [0, end), holding `copperlists`, is durable: publishes the count and
  // queues a sync mark.
  void durable(uint64_t end, uint64_t copperlists);
  bool pop_mark(SyncMark& mark) { return marks_.pop(mark); }

  uint64_t durable_copperlists() const { return durable_copperlists_.load(std::memory_order_acquire); }
  uint64_t synced_end() const { return synced_end_.load(std::memory_order_acquire); }
  uint64_t syncs() const { return syncs_.load(std::memory_order_relaxed); }
  bool failed() const { return failed_.load(std::memory_order_acquire); }
  void set_failed() { failed_.store(true, std::memory_order_release); }

 private:
  void loop();

  LogFile& file_;
  SlabRing& slabs_;
  const uint64_t slab_size_;
  const FsyncPolicy policy_;
  const Appended appended_;
  const std::function<void(Status)> on_failure_;

  uint64_t last_wake_end_ = 0;  // the appending thread's
  std::atomic<uint64_t> synced_end_{0};
  std::atomic<uint64_t> durable_copperlists_{0};
  std::atomic<uint64_t> syncs_{0};
  std::atomic<bool> failed_{false};
  std::atomic<bool> running_{false};
  std::atomic<bool> stopping_{false};
  // Sync marks for the appending thread: one producer (the flusher, then
  // the closing thread once the flusher stopped), one consumer. A full
  // queue drops a mark; the next one says more.
  boost::lockfree::spsc_queue<SyncMark, boost::lockfree::capacity<64>> marks_;
  std::counting_semaphore<(1 << 30)> wake_{0};
  std::thread thread_;
};

}  // namespace copper::log::detail
