// The batch compressor of a zstd log: a fixed pool of batches and one
// thread that compresses each submitted batch, off the commit path.
//
// The protocol, between one appending thread and the compressor thread:
//
//   appending thread                      compressor thread
//   take_free() -> fill raw -> submit() -> compress raw into packed
//   pop_compressed() -> append -> give_back()  <-'
//
// Batches come back in the order they were submitted (both queues are
// FIFO), so the appending thread writes copperlists in id order. It never
// has to wait for the compressor: take_oldest() hands it the oldest batch
// not yet popped, compressed or not, to be written raw (the compressor may
// still be reading it; the batch returns to the pool once the compressor
// has passed it, and pop_compressed() does not return it again). A waiter
// that wants the compressor's results (close) waits for the next event:
// events() counts every batch handed back and every wake(), so a waiter
// that read the count before looking cannot miss one (the std::atomic::wait
// pattern).
//
// The age of the open batch: with a max_age, the appending thread stamps
// each batch it opens (opened()), and the compressor thread marks it due
// once it is max_age old; the appending thread reads due() (one relaxed
// load) at each commit and closes it. No clock is read per commit.
//
// Memory: the pool and each batch's raw buffer (batch_bytes plus one
// copperlist's worth of slack) are allocated at construction; the
// appending side allocates nothing afterwards. The compressor sizes each
// packed buffer to zstd's bound on its own thread.
#pragma once

#include <boost/lockfree/spsc_queue.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <semaphore>
#include <thread>
#include <vector>

#include "copper/status.hpp"

namespace copper::log::detail {

// A batch of copperlists: raw holds a whole copperlists payload; packed its
// zstd frame, used only when it is smaller (use_packed).
struct Batch {
  std::vector<uint8_t> raw;
  std::vector<uint8_t> packed;
  uint64_t first_cl_id = 0;
  uint32_t cl_count = 0;
  bool use_packed = false;
  Status error;  // compression failed: the batch cannot be written
  // The appending thread took it to write raw: the compressor may skip it.
  std::atomic<bool> taken{false};
};

class BatchCompressor {
 public:
  static constexpr size_t kBatches = 4;

  // zstd `level`; batches hold up to batch_bytes (plus slack) without
  // reallocating. `max_age` zero: batches have no age limit.
  BatchCompressor(int level, uint64_t batch_bytes, std::chrono::milliseconds max_age = {});
  ~BatchCompressor();
  BatchCompressor(const BatchCompressor&) = delete;
  BatchCompressor& operator=(const BatchCompressor&) = delete;

  void start();
  // Compresses what was submitted, then joins the thread. Idempotent.
  void stop();

  // The appending thread's side.
  Batch* take_free();  // null when every batch is out
  void submit(Batch* batch);
  // The oldest submitted batch, if the compressor is done with it.
  bool pop_compressed(Batch*& batch);
  // The oldest submitted batch, done or not (null when none is out), to be
  // written raw; it is the appending thread's to read until it submits again.
  Batch* take_oldest();
  void give_back(Batch* batch);
  size_t outstanding() const { return pending_count_; }  // submitted, not yet popped or taken
  // Each of those, oldest first.
  template <class Visit>
  void for_each_outstanding(Visit visit) const {
    for (size_t i = 0; i < pending_count_; ++i) visit(*pending_[(pending_first_ + i) % kBatches]);
  }
  // Stamps the batch just opened; returns its stamp for due().
  int64_t opened();
  // The batch stamped `stamp` has reached max_age.
  bool due(int64_t stamp) const { return due_.load(std::memory_order_relaxed) == stamp; }

  // Any thread.
  uint32_t events() const { return events_.load(std::memory_order_acquire); }
  void wait_for_event(uint32_t seen) const { events_.wait(seen, std::memory_order_acquire); }
  // Wakes a waiting appending thread (a helper failed elsewhere).
  void wake();

 private:
  void loop();
  // How long the thread may sleep before the open batch is due; marks it.
  std::chrono::nanoseconds check_age(int64_t& marked);
  void recycle_passed();

  const int level_;
  const std::chrono::milliseconds max_age_;
  std::vector<std::unique_ptr<Batch>> pool_;
  std::vector<Batch*> free_;  // appending thread only; capacity for the whole pool
  // Submitted, not yet popped or taken, oldest first: appending thread only.
  std::array<Batch*, kBatches> pending_{};
  size_t pending_first_ = 0, pending_count_ = 0;
  boost::lockfree::spsc_queue<Batch*, boost::lockfree::capacity<kBatches>> to_compress_;
  boost::lockfree::spsc_queue<Batch*, boost::lockfree::capacity<kBatches>> compressed_;
  std::atomic<int64_t> opened_{0};  // the open batch's stamp (steady ns), 0: none yet
  std::atomic<int64_t> due_{0};     // the stamp the compressor found max_age old
  std::atomic<uint32_t> events_{0};
  std::atomic<bool> stopping_{false};
  std::counting_semaphore<(1 << 30)> wake_{0};
  std::thread thread_;
};

}  // namespace copper::log::detail
