// Cost of one text-log call: CU_INFO with two ints and a double.
//
// Three loops run in the same process over the same arguments:
//   cu_info   the macro, as a task would call it;
//   floor     the same 47 entry bytes written by hand (reserve + stores):
//             what any binary logger must pay;
//   eager_fmt fmt::format_to of the same text into a preallocated buffer:
//             what formatting on the hot path would cost instead.
// Each is timed in batches of kCalls calls (buffers reset between batches,
// untimed) and the median batch is reported per call, which keeps the
// clock's own cost and the odd preemption out of the figure.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <vector>

#include "copper/text_log.hpp"

namespace {

constexpr int kCalls = 1000;
constexpr int kBatches = 2000;
constexpr int kWarmupBatches = 50;

using Clock = std::chrono::steady_clock;

// Makes the compiler assume the pointed-to bytes are read, so the stores
// into the buffers cannot be dropped.
void escape(const void* p) { asm volatile("" : : "g"(p) : "memory"); }

// Arguments the optimiser cannot fold: derived from a value it cannot see.
struct Args {
  int a;
  int b;
  double c;
};
inline Args args_for(int i, int salt) { return {i + salt, i * 3 - salt, i * 0.25}; }

template <class Batch, class Reset>
double median_ns_per_call(Batch&& batch, Reset&& reset, int salt) {
  std::vector<double> per_call;
  per_call.reserve(kBatches);
  for (int n = 0; n < kWarmupBatches + kBatches; ++n) {
    reset();
    const auto t0 = Clock::now();
    batch(salt);
    const auto t1 = Clock::now();
    if (n >= kWarmupBatches) per_call.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count() / kCalls);
  }
  std::nth_element(per_call.begin(), per_call.begin() + kBatches / 2, per_call.end());
  return per_call[kBatches / 2];
}

uint8_t* put_tagged(uint8_t* p, copper::log::ArgTag tag, const void* value) {
  p[0] = uint8_t(tag);
  std::memcpy(p + 1, value, 8);
  return p + 9;
}

}  // namespace

int main(int argc, char** argv) {
  // The salt comes from outside so no argument is a compile-time constant.
  const int salt = argc + int(argv[0][0] == '\0');

  copper::TextLogBuffer buffer(kCalls * 64);
  const copper::Context ctx = copper::detail::ContextAccess::make(7, 0, 1, {}, nullptr, &buffer);
  const uint64_t cl_id = ctx.cl_id();
  const uint32_t task_index = ctx.task_index();

  const double cu_info_ns = median_ns_per_call(
      [&](int s) {
        for (int i = 0; i < kCalls; ++i) {
          const Args v = args_for(i, s);
          CU_INFO(ctx, "a={} b={} c={}", v.a, v.b, v.c);
        }
        escape(buffer.bytes().data());
      },
      [&] { buffer.clear(); }, salt);
  const uint32_t entries_written = buffer.entry_count();
  const uint32_t dropped = buffer.dropped();

  const uint32_t string_id = copper::register_text_string(copper::log::TextLevel::info, "bench", 0, "a={} b={} c={}");
  const double floor_ns = median_ns_per_call(
      [&](int s) {
        for (int i = 0; i < kCalls; ++i) {
          const Args v = args_for(i, s);
          uint8_t* p = buffer.reserve(20 + 27);
          if (p == nullptr) continue;
          std::memcpy(p, &cl_id, 8);
          std::memcpy(p + 8, &task_index, 4);
          std::memcpy(p + 12, &string_id, 4);
          p[16] = uint8_t(copper::log::TextLevel::info);
          p[17] = 3;
          const uint16_t args_length = 27;
          std::memcpy(p + 18, &args_length, 2);
          const int64_t a = v.a;
          const int64_t b = v.b;
          p = put_tagged(p + 20, copper::log::ArgTag::i64, &a);
          p = put_tagged(p, copper::log::ArgTag::i64, &b);
          put_tagged(p, copper::log::ArgTag::f64, &v.c);
        }
        escape(buffer.bytes().data());
      },
      [&] { buffer.clear(); }, salt);

  std::vector<char> text(size_t(kCalls) * 64);
  const double eager_ns = median_ns_per_call(
      [&](int s) {
        char* out = text.data();
        for (int i = 0; i < kCalls; ++i) {
          const Args v = args_for(i, s);
          out = fmt::format_to(out, "a={} b={} c={}", v.a, v.b, v.c);
        }
        escape(text.data());
      },
      [] {}, salt);

  const double ratio = cu_info_ns / floor_ns;
  fmt::print("text log call, {} batches of {} calls, median per call (2 x int + 1 x double)\n", kBatches, kCalls);
  fmt::print("  {:<34} {:>8}\n", "variant", "ns/call");
  fmt::print("  {:<34} {:>8.2f}\n", "CU_INFO (binary, deferred text)", cu_info_ns);
  fmt::print("  {:<34} {:>8.2f}\n", "floor (hand-written entry bytes)", floor_ns);
  fmt::print("  {:<34} {:>8.2f}\n", "eager fmt::format_to", eager_ns);
  fmt::print("  CU_INFO / floor = {:.2f}, eager / CU_INFO = {:.1f}; entries per batch {}, dropped {}\n", ratio,
             eager_ns / cu_info_ns, entries_written, dropped);
  fmt::print("RESULT bench=text_log median_ns={:.2f} floor_ns={:.2f} eager_fmt_ns={:.2f} ratio={:.2f}\n", cu_info_ns,
             floor_ns, eager_ns, ratio);
  return 0;
}
