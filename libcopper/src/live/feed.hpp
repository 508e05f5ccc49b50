// The live view's side of the commit path: a CommitSink that copies what
// subscribed viewers want of each committed copperlist into a bounded
// single-producer / single-consumer byte ring (Boost.Lockfree), and the
// reading side the server thread drains it with.
//
// The robot comes first. commit() never allocates, takes no lock, never
// waits and never fails: with nothing subscribed it is one relaxed atomic
// load; otherwise the wanted slots are encoded into a preallocated frame
// and pushed whole, or, when the frame does not fit (the ring is full
// because the server thread is behind, or one copperlist is larger than
// the frame buffer), the copperlist is dropped and counted.
//
// The view's rate: at most FeedOptions::max_rate_hz copperlists a second
// carry their slots to the view, chosen by copperlist time: a copperlist
// is sampled when its time is at least one period after the last sampled
// one's (or before it: a clock set back starts again). The others are
// skipped and counted apart from drops. Their text entries still go, in a
// frame with no slot: a log line is an event, not a sample. So the cost a
// subscribed viewer puts on the commit path is bounded by the view's
// rate, not the robot's, and a fast robot is seen evenly sampled rather
// than in bursts between drops.
//
// Frame layout (native to this process, never stored): u32 length of what
// follows, u64 cl id, i64 time, u32 slot count, then per slot u8 present
// and, when present, i64 time of validity, u32 size, the encoded bytes;
// then u32 size and a text payload (docs/log-format.md: u32 entry count,
// the entries), with no entries unless the text log is wanted.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include <boost/lockfree/spsc_queue.hpp>

#include "copper/graph.hpp"
#include "copper/runtime.hpp"

namespace copper::live {

// A viewer draws at display rate; 1 kHz keeps every sample of a fast
// control loop for plots, and bounds what a faster graph costs.
inline constexpr double kDefaultMaxRateHz = 1000;

struct FeedOptions {
  size_t ring_bytes = 32u << 20;  // copperlists waiting for the server thread
  size_t frame_bytes = 8u << 20;  // the largest copperlist the view carries
  double max_rate_hz = kDefaultMaxRateHz;  // copperlists a second with slots; 0: every one
};

// One copperlist as the server thread reads it back from the ring: spans
// into the frame the reader owns.
struct FrameView {
  struct Slot {
    bool present = false;
    int64_t time_of_validity = 0;
    std::span<const uint8_t> bytes;
  };
  uint64_t cl_id = 0;
  int64_t time = 0;
  std::vector<Slot> slots;
  std::span<const uint8_t> text;  // a text payload: u32 count, entries
};

class LiveFeed final : public CommitSink {
 public:
  LiveFeed(const Graph& graph, FeedOptions options = {});

  // The commit path.
  Status commit(const CopperList& cl) override;

  // The server thread: which slots (and whether the text log) its viewers
  // want. Takes effect from the next commit.
  void want_slot(uint32_t slot, bool wanted);
  void want_text(bool wanted);
  // The next frame, or false when the ring is empty.
  bool pop(std::vector<uint8_t>& frame);
  // Splits a frame pop() returned; false when it is malformed (a bug).
  static bool parse(std::span<const uint8_t> frame, FrameView& out);

  // Copperlists that a viewer wanted but that found the ring full (or were
  // larger than the frame buffer). Any thread.
  uint64_t dropped_cls() const { return dropped_.load(std::memory_order_relaxed); }
  uint64_t pushed_cls() const { return pushed_.load(std::memory_order_relaxed); }
  // Copperlists a viewer wanted that the view's rate skipped. Any thread.
  uint64_t skipped_cls() const { return skipped_.load(std::memory_order_relaxed); }
  double max_rate_hz() const { return max_rate_hz_; }
  size_t slot_count() const { return slot_count_; }
  // Some slot or the text log is wanted: commits copy. Any thread.
  bool active() const { return active_.load(std::memory_order_relaxed); }

 private:
  // The frame's size for `cl`, or 0 when it does not fit the frame buffer.
  size_t frame_size(const CopperList& cl, bool text) const;
  void encode_frame(const CopperList& cl, bool text, size_t size);
  void update_active();
  // Whether `cl` carries its slots to the view (the rate rule above).
  bool sample(Nanos time);
  // The commit thread is the counters' only writer: no locked add needed.
  static void count(std::atomic<uint64_t>& counter) {
    counter.store(counter.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }

  size_t slot_count_;
  std::unique_ptr<std::atomic<bool>[]> slot_wanted_;
  std::atomic<bool> text_wanted_{false};
  std::atomic<bool> active_{false};  // any of the above
  std::vector<uint8_t> wanted_now_;  // this commit's copy of slot_wanted_
  std::vector<uint8_t> frame_;       // preallocated: FeedOptions::frame_bytes
  boost::lockfree::spsc_queue<uint8_t> ring_;
  double max_rate_hz_;
  Nanos period_ = 0;  // 0: every copperlist is sampled
  Nanos last_sample_ = 0;
  bool sampled_any_ = false;
  std::atomic<uint64_t> dropped_{0}, pushed_{0}, skipped_{0};
};

}  // namespace copper::live
