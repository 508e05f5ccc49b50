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

}  // namespace

BatchCompressor::BatchCompressor(int level, uint64_t batch_bytes) : level_(level) {
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
  return batch;
}

void BatchCompressor::submit(Batch* batch) {
  to_compress_.push(batch);  // never full: it has room for the whole pool
  ++outstanding_;
  wake_.release();
}

bool BatchCompressor::pop_compressed(Batch*& batch) {
  if (!compressed_.pop(batch)) return false;
  --outstanding_;
  return true;
}

void BatchCompressor::give_back(Batch* batch) { free_.push_back(batch); }  // capacity reserved

void BatchCompressor::wake() {
  events_.fetch_add(1, std::memory_order_release);
  events_.notify_all();
}

void BatchCompressor::loop() {
  ZSTD_CCtx* context = ZSTD_createCCtx();
  for (;;) {
    wake_.acquire();
    Batch* batch = nullptr;
    while (to_compress_.pop(batch)) {
      if (context == nullptr)
        batch->error = Status::error("compressing copperlists: out of memory");
      else
        compress(context, level_, *batch);
      compressed_.push(batch);
      wake();
    }
    if (stopping_.load(std::memory_order_acquire)) break;
  }
  ZSTD_freeCCtx(context);
}

}  // namespace copper::log::detail
