// A status line on a terminal during a long run (recording, replay, log tools):
// copperlists, megabytes, rate. Lives on its own thread so the commit path
// only bumps a counter. Shared by the command-line tools.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

#include "copper/runtime.hpp"

namespace copper {

// Counts commits; the progress thread reads the count.
class CommitCounter final : public CommitSink {
 public:
  Status commit(const CopperList&) override {
    add(1);
    return {};
  }
  // For tools that walk copperlists without a runtime (copper-log export...).
  // One thread adds; the progress thread only reads.
  void add(uint64_t n) { count_.store(count_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> count_{0};
};

class ProgressLine {
 public:
  // `bytes` reports the log size so far (0 when not recording); with a
  // `total`, the line shows the share done. Prints only when stderr is a
  // terminal.
  ProgressLine(const CommitCounter& counter, std::function<uint64_t()> bytes, uint64_t total = 0);
  ~ProgressLine();
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

 private:
  void loop();

  const CommitCounter& counter_;
  std::function<uint64_t()> bytes_;
  uint64_t total_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace copper
