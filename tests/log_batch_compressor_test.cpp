// BatchCompressor (src/log/batch_compressor.hpp): the zstd thread of a
// compressed log and its pool of batches, on its own.
#include <doctest/doctest.h>
#include <zstd.h>

#include <chrono>
#include <future>
#include <random>
#include <thread>
#include <vector>

#include "log/batch_compressor.hpp"

using copper::log::detail::Batch;
using copper::log::detail::BatchCompressor;

namespace {

constexpr uint64_t kBatchBytes = 64u << 10;

// Blocks until a batch comes back, as the writer's appending thread does.
Batch* next_compressed(BatchCompressor& compressor) {
  for (;;) {
    const uint32_t seen = compressor.events();
    Batch* batch = nullptr;
    if (compressor.pop_compressed(batch)) return batch;
    compressor.wait_for_event(seen);
  }
}

std::vector<uint8_t> decompressed(const Batch& batch) {
  std::vector<uint8_t> out(batch.raw.size());
  const size_t n = ZSTD_decompress(out.data(), out.size(), batch.packed.data(), batch.packed.size());
  REQUIRE_FALSE(ZSTD_isError(n));
  out.resize(n);
  return out;
}

}  // namespace

TEST_CASE("log.batch_compressor.returns_batches_in_order_packed_only_when_smaller") {
  BatchCompressor compressor(3, kBatchBytes);
  compressor.start();
  std::mt19937_64 random(7);
  std::vector<Batch*> taken;
  for (uint64_t i = 0; i < BatchCompressor::kBatches; ++i) {
    Batch* batch = compressor.take_free();
    REQUIRE(batch != nullptr);
    batch->first_cl_id = 100 * i;
    batch->cl_count = 1;
    batch->raw.assign(kBatchBytes, static_cast<uint8_t>(i));  // compresses well
    if (i % 2 == 1)
      for (auto& byte : batch->raw) byte = static_cast<uint8_t>(random());  // does not compress
    taken.push_back(batch);
  }
  CHECK(compressor.take_free() == nullptr);  // the pool is fixed
  for (Batch* batch : taken) compressor.submit(batch);
  CHECK(compressor.outstanding() == BatchCompressor::kBatches);

  for (uint64_t i = 0; i < BatchCompressor::kBatches; ++i) {
    Batch* batch = next_compressed(compressor);
    CAPTURE(i);
    CHECK(batch->first_cl_id == 100 * i);
    CHECK(batch->error.ok());
    CHECK(batch->use_packed == (i % 2 == 0));
    if (batch->use_packed) {
      CHECK(batch->packed.size() < batch->raw.size());
      CHECK(decompressed(*batch) == batch->raw);
    }
    compressor.give_back(batch);
  }
  CHECK(compressor.outstanding() == 0);
  compressor.stop();
}

// The writer's loop: a pool of four carries many batches; whoever waits
// for a free batch is woken by each one coming back.
TEST_CASE("log.batch_compressor.a_small_pool_carries_many_batches_in_order") {
  BatchCompressor compressor(1, kBatchBytes);
  compressor.start();
  uint64_t next_expected = 0;
  for (uint64_t id = 0; id < 500; ++id) {
    Batch* batch = compressor.take_free();
    while (batch == nullptr) {
      Batch* back = next_compressed(compressor);
      CHECK(back->first_cl_id == next_expected++);
      CHECK(back->use_packed);
      compressor.give_back(back);
      batch = compressor.take_free();
    }
    batch->first_cl_id = id;
    batch->raw.assign(1024 + id, static_cast<uint8_t>(id));
    compressor.submit(batch);
  }
  while (compressor.outstanding() > 0) {
    Batch* back = next_compressed(compressor);
    CHECK(back->first_cl_id == next_expected++);
    compressor.give_back(back);
  }
  CHECK(next_expected == 500);
  compressor.stop();
  compressor.stop();  // idempotent: the writer's close and destructor both stop it
}

// A helper failing elsewhere wakes an appending thread waiting here.
TEST_CASE("log.batch_compressor.wake_releases_a_waiter") {
  BatchCompressor compressor(1, kBatchBytes);
  compressor.start();
  const uint32_t seen = compressor.events();
  auto waiter = std::async(std::launch::async, [&] { compressor.wait_for_event(seen); });
  compressor.wake();
  CHECK(waiter.wait_for(std::chrono::seconds(20)) == std::future_status::ready);
  CHECK(compressor.events() != seen);
  compressor.stop();
}

// The writer's way round a compressor that is behind: the oldest batch is
// handed back at once, compressed or not, and pop_compressed never returns
// it; it rejoins the pool once the compressor has passed it.
TEST_CASE("log.batch_compressor.take_oldest_hands_back_a_batch_without_waiting") {
  BatchCompressor compressor(1, kBatchBytes);
  std::vector<Batch*> submitted;
  for (uint64_t i = 0; i < 2; ++i) {
    Batch* batch = compressor.take_free();
    REQUIRE(batch != nullptr);
    batch->first_cl_id = i;
    batch->raw.assign(1024, static_cast<uint8_t>(i));
    compressor.submit(batch);
    submitted.push_back(batch);
  }
  // Not started: nothing is compressed yet, and taking does not wait.
  CHECK(compressor.take_oldest() == submitted[0]);
  CHECK(compressor.outstanding() == 1);
  compressor.start();
  Batch* back = next_compressed(compressor);
  CHECK(back == submitted[1]);
  CHECK(back->use_packed);
  compressor.give_back(back);
  CHECK(compressor.outstanding() == 0);
  CHECK(compressor.take_oldest() == nullptr);
  size_t free = 0;
  while (compressor.take_free() != nullptr) ++free;
  CHECK(free == BatchCompressor::kBatches);  // the taken one came back too
  compressor.stop();
}

TEST_CASE("log.batch_compressor.marks_the_open_batch_due_once_max_age_old") {
  const auto max_age = std::chrono::milliseconds(200);
  BatchCompressor compressor(1, kBatchBytes, max_age);
  compressor.start();
  const auto opened_at = std::chrono::steady_clock::now();
  const int64_t stamp = compressor.opened();
  CHECK_FALSE(compressor.due(stamp));
  while (!compressor.due(stamp) && std::chrono::steady_clock::now() - opened_at < std::chrono::seconds(20))
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  CHECK(compressor.due(stamp));
  CHECK(std::chrono::steady_clock::now() - opened_at >= max_age);
  const int64_t next = compressor.opened();  // a new batch is not due with the old one
  CHECK(next != stamp);
  CHECK_FALSE(compressor.due(next));
  compressor.stop();
}
