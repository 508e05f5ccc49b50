#include "replay_baseline.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "tbb_stripe_pipeline.hpp"

namespace bench {

namespace {

// A stripe's encoding ends with its pixels (u64 seq, then the byte vector).
const uint8_t* pixels_of(std::span<const uint8_t> encoding) {
  return encoding.data() + encoding.size() - kStripeBytes;
}

[[noreturn]] void diverged(size_t cl, int stage) {
  fmt::print(stderr, "replay baseline: stage {} of copperlist {} differs from the recording\n", stage, cl);
  std::exit(1);
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Stage `stage` of one copperlist, checked against the recording.
void run_checked(int stage, const uint8_t* in, uint8_t* out, const uint8_t* recorded, size_t cl) {
  run_stage(stage, in, out);
  if (std::memcmp(out, recorded, kStripeBytes) != 0) diverged(cl, stage);
}

}  // namespace

copper::Result<ReplayBaseline> ReplayBaseline::load(const std::filesystem::path& log) {
  auto opened = copper::log::LogReader::open(log);
  if (!opened) return opened.status();
  ReplayBaseline baseline(std::make_unique<copper::log::LogReader>(std::move(*opened)));
  auto cursor = baseline.reader_->copperlists();
  while (const copper::log::CopperListView* cl = cursor.next()) {
    if (!cursor.last_in_mapping()) return copper::Status::error("the CPU-pipeline log is compressed");
    if (cl->slots.size() != kStages + 1) return copper::Status::error("the log is not the CPU pipeline's");
    Frame frame{};
    for (size_t slot = 0; slot < frame.size(); ++slot) {
      const auto bytes = cl->slots[slot].bytes;
      if (bytes.size() < kStripeBytes) return copper::Status::error(fmt::format("slot {} holds no stripe", slot));
      frame[slot] = pixels_of(bytes);
    }
    baseline.frames_.push_back(frame);
  }
  if (baseline.frames_.empty()) return copper::Status::error("the log holds no copperlist");
  return baseline;
}

uint64_t ReplayBaseline::run_loop() const {
  std::array<std::vector<uint8_t>, kStages> outputs;
  for (auto& output : outputs) output.resize(kStripeBytes);
  uint64_t digest = 0;
  for (size_t cl = 0; cl < frames_.size(); ++cl) {
    const Frame& frame = frames_[cl];
    for (int stage = 0; stage < kStages; ++stage) {
      const uint8_t* in = stage == 0 ? frame[0] : outputs[stage - 1].data();
      run_checked(stage, in, outputs[stage].data(), frame[stage + 1], cl);
    }
    digest = fold_digest(digest, outputs[kStages - 1].data());
  }
  return digest;
}

double ReplayBaseline::loop_rate() const {
  const auto start = std::chrono::steady_clock::now();
  const uint64_t digest = run_loop();
  const double seconds = seconds_since(start);
  g_digest.store(digest, std::memory_order_relaxed);
  return static_cast<double>(frames_.size()) / seconds;
}

double ReplayBaseline::pair_rate() const {
  const auto start = std::chrono::steady_clock::now();
  uint64_t other = 0;
  std::thread second([&] { other = run_loop(); });
  const uint64_t digest = run_loop();
  second.join();
  const double seconds = seconds_since(start);
  if (other != digest) {
    fmt::print(stderr, "replay baseline: two passes over the same log gave different digests\n");
    std::exit(1);
  }
  return 2.0 * static_cast<double>(frames_.size()) / seconds;
}

#if COPPER_HAVE_TBB
bool ReplayBaseline::has_tbb() const { return true; }

double ReplayBaseline::tbb_rate(int threads, int tokens) const {
  struct Token {
    size_t cl = 0;
    std::array<std::vector<uint8_t>, kStages> outputs;
  };
  std::vector<Token> pool(static_cast<size_t>(tokens));
  for (Token& token : pool)
    for (auto& output : token.outputs) output.resize(kStripeBytes);
  uint64_t digest = 0;
  const auto start = std::chrono::steady_clock::now();
  run_tbb_stripe_pipeline(
      pool, frames_.size(), threads, [](Token& token, size_t cl) { token.cl = cl; },
      [this](Token& token, int stage) {
        const Frame& frame = frames_[token.cl];
        const uint8_t* in = stage == 0 ? frame[0] : token.outputs[stage - 1].data();
        run_checked(stage, in, token.outputs[stage].data(), frame[stage + 1], token.cl);
      },
      [&](Token& token) { digest = fold_digest(digest, token.outputs[kStages - 1].data()); });
  const double seconds = seconds_since(start);
  g_digest.store(digest, std::memory_order_relaxed);
  return static_cast<double>(frames_.size()) / seconds;
}
#else
bool ReplayBaseline::has_tbb() const { return false; }
double ReplayBaseline::tbb_rate(int, int) const { return 0; }
#endif

}  // namespace bench
