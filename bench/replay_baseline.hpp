// The baseline of the CPU-pipeline replay benchmark: the replay's work
// written by hand, no runtime. For each recorded copperlist it runs the 8
// stages on the recorded source stripe, checks every stage's output against
// its recorded bytes and folds the digest, as the digest sink does. Run as a
// plain loop and through oneTBB parallel_pipeline (serial_in_order filters,
// like stateful tasks): the speedup of the second over the first is what the
// machine gives this work, measured in the same process as copper's replay.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <vector>

#include "copper/log/reader.hpp"
#include "copper/status.hpp"
#include "pipeline_tasks.hpp"

namespace bench {

class ReplayBaseline {
 public:
  // Reads every copperlist of a CPU-pipeline log (uncompressed, so the
  // pixels stay in the reader's mapping); an error names what is missing.
  static copper::Result<ReplayBaseline> load(const std::filesystem::path& log);

  // CL/s of one pass. Either exits with a message when an output differs
  // from the recording: the baseline must do the replay's whole job.
  double loop_rate() const;
  // CL/s of two plain loops running at once on two threads, each over every
  // copperlist with buffers of its own: they share nothing, so their speedup
  // over one loop is the most two threads can give this work right now (a
  // shared host's two vCPUs gave 1.5x to 2.0x, minutes apart).
  double pair_rate() const;
  bool has_tbb() const;
  double tbb_rate(int threads, int tokens) const;

 private:
  // The recorded pixels: [0] the source's stripe, [1 + s] stage s's output.
  using Frame = std::array<const uint8_t*, kStages + 1>;

  // Runs the plain loop once; returns its digest.
  uint64_t run_loop() const;

  explicit ReplayBaseline(std::unique_ptr<copper::log::LogReader> reader) : reader_(std::move(reader)) {}

  std::unique_ptr<copper::log::LogReader> reader_;  // owns the mapping `frames_` points into
  std::vector<Frame> frames_;
};

}  // namespace bench
