#include "batch_compressor.hpp"

#include <zstd.h>

#include <fmt/format.h>

namespace copper::log::detail {

namespace {

// Room past batch_bytes: a batch is submitted once it reaches batch_bytes,
// so the copperlist that crosses the mark must still fit without growing.
constexpr uint64_t kSlack = 64u << 10;

void compress(ZSTD_CCtx* context, int level, Batch& batch) {
  batch.packed.resize(ZSTD_compressBound(batch.raw.size()));
  const size_t n =
      ZSTD_compressCCtx(context, batch.packed.data(), batch.packed.size(), batch.raw.data(), batch.raw.size(), level);
  if (ZSTD_isError(n)) {
    batch.error = Status::error(fmt::format("compressing copperlists {}..{}: {}", batch.first_cl_id,
                                            batch.first_cl_id + batch.cl_count - 1, ZSTD_getErrorName(n)));
    return;
  }
  // Incompressible data is stored as is.
  batch.use_packed = n < batch.raw.size();
  batch.packed.resize(n);
}

int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

BatchCompressor::BatchCompressor(int level, uint64_t batch_bytes, std::chrono::milliseconds max_age)
    : level_(level), max_age_(max_age) {
  free_.reserve(kBatches);
  for (size_t i = 0; i < kBatches; ++i) {
    pool_.push_back(std::make_unique<Batch>());
    pool_.back()->raw.reserve(batch_bytes + kSlack);
    free_.push_back(pool_.back().get());
  }
}

BatchCompressor::~BatchCompressor() { stop(); }

void BatchCompressor::start() {
  thread_ = std::thread([this] { loop(); });
}

void BatchCompressor::stop() {
  stopping_.store(true, std::memory_order_release);
  wake_.release();
  if (thread_.joinable()) thread_.join();
}

Batch* BatchCompressor::take_free() {
  if (free_.empty()) return nullptr;
  Batch* batch = free_.back();
  free_.pop_back();
  batch->use_packed = false;
  batch->error = Status();
  batch->taken.store(false, std::memory_order_relaxed);  // the compressor has passed it
  return batch;
}

void BatchCompressor::submit(Batch* batch) {
  pending_[(pending_first_ + pending_count_++) % kBatches] = batch;
  to_compress_.push(batch);  // never full: it has room for the whole pool
  wake_.release();
}

// Batches come back in submission order; a taken one was the oldest
// pending when it was taken, so it comes back before every pending one.
bool BatchCompressor::pop_compressed(Batch*& batch) {
  while (compressed_.pop(batch)) {
    if (batch->taken.load(std::memory_order_relaxed)) {
      give_back(batch);
      continue;
    }
    pending_first_ = (pending_first_ + 1) % kBatches;  // batch is the oldest pending
    --pending_count_;
    return true;
  }
  return false;
}

Batch* BatchCompressor::take_oldest() {
  if (pending_count_ == 0) return nullptr;
  Batch* batch = pending_[pending_first_];
  pending_first_ = (pending_first_ + 1) % kBatches;
  --pending_count_;
  batch->taken.store(true, std::memory_order_relaxed);
  return batch;
}

void BatchCompressor::give_back(Batch* batch) { free_.push_back(batch); }  // capacity reserved

int64_t BatchCompressor::opened() {
  int64_t stamp = steady_ns();
  if (stamp <= opened_.load(std::memory_order_relaxed)) stamp = opened_.load(std::memory_order_relaxed) + 1;
  opened_.store(stamp, std::memory_order_release);
  return stamp;
}

void BatchCompressor::wake() {
  events_.fetch_add(1, std::memory_order_release);
  events_.notify_all();
}

// Marks the open batch due once it is max_age old; returns how long to
// sleep before looking again (until it is due, or max_age when no batch
// waits: one opened meanwhile is then seen within max_age, and marked on
// time).
std::chrono::nanoseconds BatchCompressor::check_age(int64_t& marked) {
  const int64_t opened = opened_.load(std::memory_order_acquire);
  if (opened == 0 || opened == marked) return max_age_;
  const int64_t due_at = opened + std::chrono::nanoseconds(max_age_).count();
  const int64_t now = steady_ns();
  if (now < due_at) return std::chrono::nanoseconds(due_at - now);
  due_.store(opened, std::memory_order_relaxed);
  marked = opened;
  return max_age_;
}

void BatchCompressor::loop() {
  ZSTD_CCtx* context = ZSTD_createCCtx();
  int64_t marked = 0;
  for (;;) {
    if (max_age_.count() > 0)
      (void)wake_.try_acquire_for(check_age(marked));
    else
      wake_.acquire();
    Batch* batch = nullptr;
    while (to_compress_.pop(batch)) {
      if (!batch->taken.load(std::memory_order_relaxed)) {  // a taken one is written raw already
        if (context == nullptr)
          batch->error = Status::error("compressing copperlists: out of memory");
        else
          compress(context, level_, *batch);
      }
      compressed_.push(batch);
      wake();
    }
    if (stopping_.load(std::memory_order_acquire)) break;
  }
  ZSTD_freeCCtx(context);
}

}  // namespace copper::log::detail
