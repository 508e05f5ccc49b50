#include "replay_baseline.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <cstring>

#if COPPER_HAVE_TBB
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/parallel_pipeline.h>
#endif

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

double ReplayBaseline::loop_rate() const {
  std::array<std::vector<uint8_t>, kStages> outputs;
  for (auto& output : outputs) output.resize(kStripeBytes);
  uint64_t digest = 0;
  const auto start = std::chrono::steady_clock::now();
  for (size_t cl = 0; cl < frames_.size(); ++cl) {
    const Frame& frame = frames_[cl];
    for (int stage = 0; stage < kStages; ++stage) {
      const uint8_t* in = stage == 0 ? frame[0] : outputs[stage - 1].data();
      run_checked(stage, in, outputs[stage].data(), frame[stage + 1], cl);
    }
    digest = fold_digest(digest, outputs[kStages - 1].data());
  }
  const double seconds = seconds_since(start);
  g_digest.store(digest, std::memory_order_relaxed);
  return static_cast<double>(frames_.size()) / seconds;
}

#if COPPER_HAVE_TBB
bool ReplayBaseline::has_tbb() const { return true; }

// Each token carries one buffer per stage output, as a copperlist carries
// one slot per task output.
double ReplayBaseline::tbb_rate(int threads, int tokens) const {
  struct Token {
    size_t cl = 0;
    std::array<std::vector<uint8_t>, kStages> outputs;
  };
  std::vector<Token> pool(static_cast<size_t>(tokens));
  for (Token& token : pool)
    for (auto& output : token.outputs) output.resize(kStripeBytes);
  namespace tbb = oneapi::tbb;
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, static_cast<size_t>(threads));
  size_t next = 0;
  uint64_t digest = 0;
  auto chain = tbb::make_filter<void, Token*>(tbb::filter_mode::serial_in_order,
                                              [&](tbb::flow_control& control) -> Token* {
                                                if (next == frames_.size()) {
                                                  control.stop();
                                                  return nullptr;
                                                }
                                                Token* token = &pool[next % pool.size()];
                                                token->cl = next++;
                                                return token;
                                              });
  for (int stage = 0; stage < kStages; ++stage) {
    chain = chain & tbb::make_filter<Token*, Token*>(tbb::filter_mode::serial_in_order, [this, stage](Token* token) {
              const Frame& frame = frames_[token->cl];
              const uint8_t* in = stage == 0 ? frame[0] : token->outputs[stage - 1].data();
              run_checked(stage, in, token->outputs[stage].data(), frame[stage + 1], token->cl);
              return token;
            });
  }
  const auto whole = chain & tbb::make_filter<Token*, void>(tbb::filter_mode::serial_in_order, [&](Token* token) {
                       digest = fold_digest(digest, token->outputs[kStages - 1].data());
                     });
  const auto start = std::chrono::steady_clock::now();
  tbb::parallel_pipeline(static_cast<size_t>(tokens), whole);
  const double seconds = seconds_since(start);
  g_digest.store(digest, std::memory_order_relaxed);
  return static_cast<double>(frames_.size()) / seconds;
}
#else
bool ReplayBaseline::has_tbb() const { return false; }
double ReplayBaseline::tbb_rate(int, int) const { return 0; }
#endif

}  // namespace bench
