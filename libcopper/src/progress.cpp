#include "progress.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

namespace copper {

ProgressLine::ProgressLine(const CommitCounter& counter, std::function<uint64_t()> bytes, uint64_t total)
    : counter_(counter), bytes_(std::move(bytes)), total_(total) {
  if (isatty(STDERR_FILENO)) thread_ = std::thread([this] { loop(); });
}

ProgressLine::~ProgressLine() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) {
    thread_.join();
    fmt::print(stderr, "\r\033[K");  // leave a clean line for the summary
  }
}

void ProgressLine::loop() {
  const auto started = std::chrono::steady_clock::now();
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, std::chrono::milliseconds(500), [this] { return stop_; })) {
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const uint64_t cycles = counter_.count();
    const std::string share =
        total_ ? fmt::format(" / {} ({:.0f}%)", total_, 100.0 * static_cast<double>(cycles) / static_cast<double>(total_))
               : "";
    fmt::print(stderr, "\r\033[K{}{} copperlists  {:.1f} MB  {:.0f} CL/s  {:.1f} s", cycles, share,
               static_cast<double>(bytes_()) / 1e6, seconds > 0 ? static_cast<double>(cycles) / seconds : 0.0,
               seconds);
    std::fflush(stderr);
  }
}

}  // namespace copper
