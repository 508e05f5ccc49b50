// The writer's helper threads, each its own class (slab_ring.*, flusher.*,
// batch_compressor.*): starting and stopping them, and a failure of one
// stopping the log.

#include <fmt/format.h>

#include "writer_core.hpp"

namespace copper::log::detail {

void WriterCore::start_threads() {
  slabs_.start();
  flusher_.start();
  if (compressor_) compressor_->start();
}

void WriterCore::set_background_failure(Status status) {
  {
    std::lock_guard lock(failure_mutex_);
    if (background_status_.ok()) background_status_ = std::move(status);
  }
  background_failed_.store(true, std::memory_order_release);
  // Wake the appending thread wherever it may be waiting.
  slabs_.notify();
  if (compressor_) compressor_->wake();
}

// Checked at each slab switch and at close, not per commit: until then the
// commits go to zero pages the SIGBUS guard mapped (bus_guard.hpp).
void WriterCore::check_truncation() {
  if (!file_->truncated() || background_failed_.load(std::memory_order_acquire)) return;
  set_background_failure(Status::io_error(
      fmt::format("{} was truncated by another process while being written: what it held up to the cut stays "
                  "readable; what was written after it is lost",
                  file_->path().string())));
}

void WriterCore::stop_threads() {
  if (compressor_) compressor_->stop();
  flusher_.stop();
  slabs_.stop();
}

}  // namespace copper::log::detail
