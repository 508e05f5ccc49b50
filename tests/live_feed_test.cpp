// The live view's commit-path side (src/live/feed.hpp): what it copies, and
// that a full ring or an oversized copperlist is a counted drop, never a
// wait; and the channels' rendering of what it copied (src/live/channels.hpp).
#include <doctest/doctest.h>

#include <set>
#include <vector>

#include "copper/clock.hpp"
#include "copper/copperlist.hpp"
#include "copper/runtime.hpp"
#include "fixtures/run_helpers.hpp"
#include "live/channels.hpp"
#include "live/feed.hpp"
#include "log/writer_core.hpp"

namespace {

using copper::live::FeedOptions;
using copper::live::FrameView;
using copper::live::LiveFeed;

// What every commit held, encoded: [cl][slot] bytes.
class EncodedCapture final : public copper::CommitSink {
 public:
  copper::Status commit(const copper::CopperList& cl) override {
    auto& slots = cls.emplace_back();
    for (uint32_t s = 0; s < cl.slot_count(); ++s) cl.message_type(s).encode(cl.message(s), slots.emplace_back());
    return {};
  }
  std::vector<std::vector<std::vector<uint8_t>>> cls;
};

// Every read is `step` later than the one before: copperlists a step apart.
class SteppingClock final : public copper::Clock {
 public:
  explicit SteppingClock(copper::Nanos step) : step_(step) {}
  copper::Nanos now() const override { return now_ += step_; }

 private:
  copper::Nanos step_;
  mutable copper::Nanos now_ = 0;
};

// Every copperlist's time and id, as committed.
class TimeCapture final : public copper::CommitSink {
 public:
  copper::Status commit(const copper::CopperList& cl) override {
    times.emplace_back(cl.id, cl.time);
    return {};
  }
  std::vector<std::pair<uint64_t, copper::Nanos>> times;
};

FeedOptions every_copperlist() {
  FeedOptions options;
  options.max_rate_hz = 0;
  return options;
}

// Runs `cycles` copperlists of the text chain into the feed (and a capture).
void run_into(copper::Graph& graph, LiveFeed& feed, EncodedCapture& capture, uint64_t cycles) {
  copper::ManualClock clock;  // one time for all: the feed must not sample
  copper::CommitFanout sinks;
  sinks.add(&feed);
  sinks.add(&capture);
  copper::SerialExecutor executor(graph, clock);
  REQUIRE(executor.run(testing_tasks::cycles(cycles), &sinks).ok());
}

std::vector<FrameView> drain(LiveFeed& feed, std::vector<std::vector<uint8_t>>& storage) {
  std::vector<FrameView> frames;
  for (std::vector<uint8_t> frame; feed.pop(frame);) storage.push_back(frame);
  for (const auto& frame : storage) REQUIRE(LiveFeed::parse(frame, frames.emplace_back()));
  return frames;
}

}  // namespace

TEST_CASE("live.feed.nothing_wanted_copies_nothing") {
  auto graph = testing_tasks::require_graph(testing_tasks::kTextChainGraph);
  LiveFeed feed(graph);
  EncodedCapture capture;
  run_into(graph, feed, capture, 20);
  std::vector<uint8_t> frame;
  CHECK(!feed.pop(frame));
  CHECK(feed.pushed_cls() == 0);
  CHECK(feed.dropped_cls() == 0);
}

TEST_CASE("live.feed.wanted_slots_come_back_as_committed") {
  auto graph = testing_tasks::require_graph(testing_tasks::kTextChainGraph);
  LiveFeed feed(graph, every_copperlist());
  feed.want_slot(1, true);
  EncodedCapture capture;
  run_into(graph, feed, capture, 12);
  std::vector<std::vector<uint8_t>> storage;
  const auto frames = drain(feed, storage);
  REQUIRE(frames.size() == 12);
  for (size_t i = 0; i < frames.size(); ++i) {
    CHECK(frames[i].cl_id == i);
    REQUIRE(frames[i].slots.size() == feed.slot_count());
    for (size_t s = 0; s < frames[i].slots.size(); ++s) {
      CHECK(frames[i].slots[s].present == (s == 1));
      if (s == 1)
        CHECK(std::vector<uint8_t>(frames[i].slots[s].bytes.begin(), frames[i].slots[s].bytes.end()) ==
              capture.cls[i][s]);
    }
    CHECK(frames[i].text.size() == sizeof(uint32_t));  // a text payload with no entries
  }
}

TEST_CASE("live.feed.full_ring_drops_and_counts_and_recovers") {
  auto graph = testing_tasks::require_graph(testing_tasks::kTextChainGraph);
  LiveFeed feed(graph, FeedOptions{512, 4096, 0});
  feed.want_slot(0, true);
  feed.want_text(true);
  EncodedCapture capture;
  run_into(graph, feed, capture, 100);
  CHECK(feed.dropped_cls() > 0);
  CHECK(feed.pushed_cls() + feed.dropped_cls() == 100);
  std::vector<std::vector<uint8_t>> storage;
  CHECK(drain(feed, storage).size() == feed.pushed_cls());
  const uint64_t dropped = feed.dropped_cls();
  run_into(graph, feed, capture, 2);  // room again: pushed, not dropped
  CHECK(feed.dropped_cls() == dropped);
}

TEST_CASE("live.feed.copperlist_larger_than_the_frame_is_dropped") {
  auto graph = testing_tasks::require_graph(testing_tasks::kTextChainGraph);
  LiveFeed feed(graph, FeedOptions{1 << 16, 16, 0});
  feed.want_slot(0, true);
  EncodedCapture capture;
  run_into(graph, feed, capture, 5);
  CHECK(feed.dropped_cls() == 5);
  CHECK(feed.pushed_cls() == 0);
}

TEST_CASE("live.channels.slots_and_text_log_become_channel_messages") {
  auto graph = testing_tasks::require_graph(testing_tasks::kTextChainGraph);
  auto channels = copper::live::ChannelSet::build(copper::log::detail::graph_metadata(graph));
  REQUIRE(channels.ok());
  const copper::live::Channel* slot_channel = nullptr;
  const copper::live::Channel* log_channel = nullptr;
  for (const auto& c : (*channels)->all()) {
    if (c.topic == "/a") slot_channel = &c;
    if (c.topic == "/copper/log") log_channel = &c;
  }
  REQUIRE(slot_channel != nullptr);
  REQUIRE(log_channel != nullptr);
  LiveFeed feed(graph, every_copperlist());
  feed.want_slot(slot_channel->slot, true);
  feed.want_text(true);
  EncodedCapture capture;
  run_into(graph, feed, capture, 3);
  std::vector<std::vector<uint8_t>> storage;
  const auto frames = drain(feed, storage);
  REQUIRE(frames.size() == 3);
  std::vector<std::string> payloads;
  uint64_t failures = 0;
  (*channels)->render(*slot_channel, frames[2], payloads, failures);
  (*channels)->render(*log_channel, frames[2], payloads, failures);
  CHECK(failures == 0);
  REQUIRE(payloads.size() == 2);  // the counter's message, then chat's one entry
  const auto counter = nlohmann::json::parse(payloads[0]);
  CHECK(counter["value"] == 5 * frames[2].cl_id);  // step 5 from 0
  const auto line = nlohmann::json::parse(payloads[1]);
  CHECK(line["name"] == "chat");
  CHECK(line["message"] == "value=10 half=5.0 tag=ok");
  CHECK(line["level"] == 2);
}

// The view's rate (feed.hpp): at 100 Hz, of copperlists 1 ms apart, those
// sampled are the ones a period after the last sampled, their slots come
// with them, the others are counted as skipped, and every copperlist's
// text entries still arrive (the chatty task writes one each cycle).
TEST_CASE("live.feed.rate_samples_by_copperlist_time_and_keeps_every_text_entry") {
  auto graph = testing_tasks::require_graph(testing_tasks::kTextChainGraph);
  FeedOptions options;
  options.max_rate_hz = 100;
  for (const bool text : {true, false}) {
    CAPTURE(text);
    LiveFeed feed(graph, options);
    feed.want_slot(0, true);
    feed.want_text(text);
    SteppingClock clock(1'000'000);
    TimeCapture times;
    copper::CommitFanout sinks;
    sinks.add(&feed);
    sinks.add(&times);
    REQUIRE(copper::SerialExecutor(graph, clock).run(testing_tasks::cycles(95), &sinks).ok());
    std::set<uint64_t> expected;  // the rule, applied to the committed times
    copper::Nanos last = 0;
    for (const auto& [id, time] : times.times)
      if (expected.empty() || time - last >= 10'000'000) expected.insert(id), last = time;
    CHECK(expected.size() == 10);
    CHECK(feed.skipped_cls() == 95 - expected.size());
    std::vector<std::vector<uint8_t>> storage;
    const auto frames = drain(feed, storage);
    CHECK(frames.size() == (text ? 95 : expected.size()));
    std::set<uint64_t> with_slot;
    for (const FrameView& frame : frames) {
      if (frame.slots[0].present) with_slot.insert(frame.cl_id);
      if (text) CHECK(frame.text.size() > sizeof(uint32_t));
    }
    CHECK(with_slot == expected);
  }
}
