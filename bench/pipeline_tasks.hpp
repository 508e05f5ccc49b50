// The CPU-pipeline workload shared by the runtime and replay benchmarks:
// image stripes through 8 compute stages and a digest sink, as copper tasks
// ("bench/stripes", "bench/stripe_stage", "bench/stripe_digest") and as
// plain functions for the oneTBB baseline; and a latency-bound chain
// ("bench/ticks", "bench/wait_1ms", "bench/tick_sink").
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

namespace bench {

constexpr int kStages = 8;
constexpr size_t kStripeBytes = 16 * 1024;

void fill_stripe(uint64_t seq, uint8_t* out);
// A 3-tap filter, a few passes, different per stage: about 20-40 us a stripe.
void run_stage(int stage, const uint8_t* in, uint8_t* out);
uint64_t fold_digest(uint64_t digest, const uint8_t* pixels);

// The digest sink's last value.
extern std::atomic<uint64_t> g_digest;

// A source, kStages stages of `stage_type` and a sink in a chain, as config
// JSON; `stage_param` gives each stage its index as parameter "stage".
std::string chain_config(const char* source, const char* stage_type, const char* sink, bool stage_param,
                         const std::string& logging = "");

}  // namespace bench
