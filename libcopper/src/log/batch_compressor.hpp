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
// FIFO), so the appending thread writes copperlists in id order. When it
// finds no free batch, it waits for the next event: events() counts every
// batch handed back and every wake(), so a waiter that read the count
// before looking cannot miss one (the std::atomic::wait pattern).
//
// Memory: the pool and each batch's raw buffer (batch_bytes plus one
// copperlist's worth of slack) are allocated at construction; the
// appending side allocates nothing afterwards. The compressor sizes each
// packed buffer to zstd's bound on its own thread.
#pragma once

#include <boost/lockfree/spsc_queue.hpp>

#include <atomic>
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
};

class BatchCompressor {
 public:
  static constexpr size_t kBatches = 4;

  // zstd `level`; batches hold up to batch_bytes (plus slack) without
  // reallocating.
  BatchCompressor(int level, uint64_t batch_bytes);
  ~BatchCompressor();
  BatchCompressor(const BatchCompressor&) = delete;
  BatchCompressor& operator=(const BatchCompressor&) = delete;

  void start();
  // Compresses what was submitted, then joins the thread. Idempotent.
  void stop();

  // The appending thread's side.
  Batch* take_free();  // null when every batch is out
  void submit(Batch* batch);
  bool pop_compressed(Batch*& batch);
  void give_back(Batch* batch);
  size_t outstanding() const { return outstanding_; }  // submitted, not yet popped

  // Any thread.
  uint32_t events() const { return events_.load(std::memory_order_acquire); }
  void wait_for_event(uint32_t seen) const { events_.wait(seen, std::memory_order_acquire); }
  // Wakes a waiting appending thread (a helper failed elsewhere).
  void wake();

 private:
  void loop();

  const int level_;
  std::vector<std::unique_ptr<Batch>> pool_;
  std::vector<Batch*> free_;  // appending thread only; capacity for the whole pool
  size_t outstanding_ = 0;    // appending thread only
  boost::lockfree::spsc_queue<Batch*, boost::lockfree::capacity<kBatches>> to_compress_;
  boost::lockfree::spsc_queue<Batch*, boost::lockfree::capacity<kBatches>> compressed_;
  std::atomic<uint32_t> events_{0};
  std::atomic<bool> stopping_{false};
  std::counting_semaphore<(1 << 30)> wake_{0};
  std::thread thread_;
};

}  // namespace copper::log::detail
