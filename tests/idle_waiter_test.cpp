// detail::IdleWaiter (libcopper/src/idle_waiter.hpp), where the parallel
// executor's idle workers sleep: the event-count protocol on its own.
//
// A waiter that never wakes would hang the suite, so every sleeping thread
// here is watched with a generous timeout (seconds, against wakeups that
// take microseconds); on timeout the test fails and wakes everyone with
// notify_all so the threads can still be joined.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <future>
#include <thread>
#include <vector>

#include "idle_waiter.hpp"

using copper::detail::IdleWaiter;

namespace {

constexpr auto kPatience = std::chrono::seconds(20);

// The epoch a new sleeper would see, without leaving it announced.
uint64_t epoch_of(IdleWaiter& waiter) {
  const uint64_t epoch = waiter.prepare_wait();
  waiter.cancel_wait();
  return epoch;
}

// Waits for `done`; on timeout fails and releases every sleeper.
void expect_woken(std::future<void>& done, IdleWaiter& waiter, const char* what) {
  const bool woken = done.wait_for(kPatience) == std::future_status::ready;
  CHECK_MESSAGE(woken, what);
  if (!woken) waiter.notify_all();
  done.get();
}

}  // namespace

TEST_CASE("idle_waiter.notify_one_without_sleepers_costs_no_wakeup") {
  // The producer's fast path: with nobody announced, notify_one must not
  // take the mutex or move the epoch (the executor calls it per task).
  IdleWaiter waiter;
  const uint64_t epoch = epoch_of(waiter);
  for (int i = 0; i < 10; ++i) waiter.notify_one();
  CHECK(epoch_of(waiter) == epoch);
}

TEST_CASE("idle_waiter.cancel_wait_withdraws_the_announcement") {
  // After prepare_wait + cancel_wait nobody sleeps, so notify_one stays on
  // its fast path; a cancel that forgot to count down would make every
  // later notify_one take the mutex and move the epoch.
  IdleWaiter waiter;
  const uint64_t first = waiter.prepare_wait();
  waiter.cancel_wait();
  waiter.notify_one();
  CHECK(epoch_of(waiter) == first);
}

TEST_CASE("idle_waiter.announced_sleeper_sees_a_notify_before_it_sleeps") {
  // Work published between prepare_wait and wait: the epoch has moved, so
  // wait returns at once instead of sleeping through the notification (the
  // lost wakeup the protocol exists to prevent).
  IdleWaiter waiter;
  const uint64_t epoch = waiter.prepare_wait();
  waiter.notify_one();
  CHECK(epoch_of(waiter) != epoch);
  auto done = std::async(std::launch::async, [&] { waiter.wait(epoch); });
  expect_woken(done, waiter, "wait() slept although notify_one came after prepare_wait()");
  // Woken, it no longer counts as a sleeper: notify_one is back on its fast path.
  const uint64_t after = epoch_of(waiter);
  waiter.notify_one();
  CHECK(epoch_of(waiter) == after);
}

TEST_CASE("idle_waiter.notify_one_wakes_a_sleeping_worker") {
  IdleWaiter waiter;
  std::promise<uint64_t> announced;
  auto done = std::async(std::launch::async, [&] {
    const uint64_t epoch = waiter.prepare_wait();
    announced.set_value(epoch);
    waiter.wait(epoch);
  });
  const uint64_t epoch = announced.get_future().get();
  // Let the worker reach the condition variable more often than not; the
  // outcome must be the same whether it has or not.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  waiter.notify_one();
  expect_woken(done, waiter, "notify_one() did not wake the sleeping worker");
  CHECK(epoch_of(waiter) != epoch);
}

TEST_CASE("idle_waiter.notify_all_wakes_every_sleeper") {
  IdleWaiter waiter;
  constexpr int kSleepers = 4;
  std::atomic<int> announced{0};
  std::vector<std::future<void>> done;
  for (int i = 0; i < kSleepers; ++i)
    done.push_back(std::async(std::launch::async, [&] {
      const uint64_t epoch = waiter.prepare_wait();
      announced.fetch_add(1);
      waiter.wait(epoch);
    }));
  while (announced.load() < kSleepers) std::this_thread::yield();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  waiter.notify_all();
  for (auto& d : done) expect_woken(d, waiter, "notify_all() left a sleeper asleep");
  // All of them gone: notify_one has nobody to wake.
  const uint64_t after = epoch_of(waiter);
  waiter.notify_one();
  CHECK(epoch_of(waiter) == after);
}

TEST_CASE("idle_waiter.no_item_is_left_behind_by_sleeping_consumers") {
  // The executor's pattern under churn: consumers take items from a shared
  // count and, finding none, announce, look once more, then sleep; the
  // producer publishes items and calls notify_one after each. It publishes
  // in small rounds and waits for each round to be taken, so every round
  // ends with consumers running dry and going to sleep: a wakeup lost at
  // that moment leaves the round's items untaken for good (caught by the
  // timeout) instead of being covered by the next notify.
  IdleWaiter waiter;
  constexpr int kConsumers = 3;
  constexpr int kRounds = 2000;
  std::atomic<int64_t> available{0};
  std::atomic<int64_t> taken{0};
  std::atomic<int64_t> sleeps{0};
  std::atomic<bool> closed{false};
  auto try_take = [&] {
    int64_t n = available.load();
    while (n > 0)
      if (available.compare_exchange_weak(n, n - 1)) return true;
    return false;
  };
  std::vector<std::future<void>> consumers;
  for (int c = 0; c < kConsumers; ++c)
    consumers.push_back(std::async(std::launch::async, [&] {
      for (;;) {
        if (try_take()) {
          taken.fetch_add(1);
          continue;
        }
        if (closed.load()) return;
        const uint64_t epoch = waiter.prepare_wait();
        if (available.load() > 0 || closed.load()) {
          waiter.cancel_wait();
          continue;
        }
        sleeps.fetch_add(1);
        waiter.wait(epoch);
      }
    }));
  const auto deadline = std::chrono::steady_clock::now() + kPatience;
  int64_t published = 0;
  bool kept_up = true;
  for (int round = 0; round < kRounds && kept_up; ++round) {
    for (int i = 0; i <= round % 3; ++i, ++published) {
      available.fetch_add(1);
      waiter.notify_one();
    }
    while (taken.load() < published && (kept_up = std::chrono::steady_clock::now() < deadline))
      std::this_thread::yield();
  }
  CHECK_MESSAGE(kept_up, "items left untaken while the consumers slept: a notify_one was lost");
  CHECK(taken.load() == published);
  closed.store(true);
  waiter.notify_all();
  for (auto& c : consumers) expect_woken(c, waiter, "a consumer did not stop after notify_all()");
  CHECK(taken.load() == published);
  CHECK(available.load() == 0);
  // The rounds did make consumers sleep (each round ends with all of them
  // out of work), so the wakeup path was exercised, not only the fast path.
  CHECK(sleeps.load() > 0);
}
