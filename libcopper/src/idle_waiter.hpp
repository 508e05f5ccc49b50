// Where idle workers sleep: an event count. A worker announces itself,
// looks for work once more, then sleeps until the epoch moves. A producer
// pays one fence and one load when nobody sleeps, the common case under
// load; the mutex is taken only to put a worker to sleep or wake one.
//
// (std::atomic::wait could sleep without the mutex; the condition variable
// is plain, fully understood by ThreadSanitizer, and costs only when a
// worker actually sleeps or is woken.)
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace copper::detail {

class IdleWaiter {
 public:
  // Step 1 of sleeping: announce, then look for work once more before wait().
  uint64_t prepare_wait() {
    sleepers_.fetch_add(1, std::memory_order_seq_cst);
    full_fence();
    return epoch_.load(std::memory_order_seq_cst);
  }
  // Work turned up after prepare_wait(): don't sleep.
  void cancel_wait() { sleepers_.fetch_sub(1, std::memory_order_seq_cst); }
  // Sleeps unless the epoch moved since prepare_wait().
  void wait(uint64_t epoch) {
    {
      std::unique_lock lock(mutex_);
      woken_.wait(lock, [&] { return epoch_.load(std::memory_order_relaxed) != epoch; });
    }
    sleepers_.fetch_sub(1, std::memory_order_seq_cst);
  }

  // After publishing work: wakes a sleeper, if any. The publication must be
  // ordered before the look at sleepers_ (pairing with prepare_wait), so a
  // worker either sees the work or is seen sleeping.
  void notify_one() {
    if (sleepers_after_publication() == 0) return;
    advance();
    woken_.notify_one();
  }
  void notify_all() {
    advance();
    woken_.notify_all();
  }

 private:
  // ThreadSanitizer does not model fences (g++ rejects them under
  // -fsanitize=thread), so its builds order through read-modify-writes of
  // sleepers_ on both sides instead: as strong, but the notifier then
  // writes a shared cache line on every call, which the fence avoids.
#if defined(__SANITIZE_THREAD__)
  static void full_fence() {}
  uint32_t sleepers_after_publication() { return sleepers_.fetch_add(0, std::memory_order_seq_cst); }
#else
  static void full_fence() { std::atomic_thread_fence(std::memory_order_seq_cst); }
  uint32_t sleepers_after_publication() {
    full_fence();
    return sleepers_.load(std::memory_order_relaxed);
  }
#endif

  void advance() {
    std::lock_guard lock(mutex_);
    epoch_.fetch_add(1, std::memory_order_seq_cst);
  }

  std::atomic<uint64_t> epoch_{0};
  std::atomic<uint32_t> sleepers_{0};
  std::mutex mutex_;
  std::condition_variable woken_;
};

}  // namespace copper::detail
