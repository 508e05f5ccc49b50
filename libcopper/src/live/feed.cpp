#include "live/feed.hpp"

#include <algorithm>
#include <cmath>

#include "copper/copperlist.hpp"
#include "log/layout.hpp"
#include "log/record_parse.hpp"

namespace copper::live {

using log::load_le;
using log::put_bytes;
using log::store_le;

namespace {

constexpr size_t kLengthField = sizeof(uint32_t);
constexpr size_t kFrameHead = sizeof(uint64_t) + sizeof(int64_t) + sizeof(uint32_t);
constexpr size_t kSlotHead = sizeof(uint8_t) + sizeof(int64_t) + sizeof(uint32_t);
constexpr size_t kTextHead = 2 * sizeof(uint32_t);

}  // namespace

LiveFeed::LiveFeed(const Graph& graph, FeedOptions options)
    : slot_count_(graph.slots().size()),
      slot_wanted_(std::make_unique<std::atomic<bool>[]>(slot_count_)),
      wanted_now_(slot_count_, 0),
      frame_(options.frame_bytes),
      ring_(options.ring_bytes),
      max_rate_hz_(options.max_rate_hz > 0 ? options.max_rate_hz : 0),
      period_(options.max_rate_hz > 0 ? static_cast<Nanos>(std::llround(1e9 / options.max_rate_hz)) : 0) {
  for (size_t s = 0; s < slot_count_; ++s) slot_wanted_[s].store(false, std::memory_order_relaxed);
}

void LiveFeed::want_slot(uint32_t slot, bool wanted) {
  if (slot >= slot_count_) return;
  slot_wanted_[slot].store(wanted, std::memory_order_relaxed);
  update_active();
}

void LiveFeed::want_text(bool wanted) {
  text_wanted_.store(wanted, std::memory_order_relaxed);
  update_active();
}

void LiveFeed::update_active() {
  bool any = text_wanted_.load(std::memory_order_relaxed);
  for (size_t s = 0; s < slot_count_ && !any; ++s) any = slot_wanted_[s].load(std::memory_order_relaxed);
  active_.store(any, std::memory_order_relaxed);
}

size_t LiveFeed::frame_size(const CopperList& cl, bool text) const {
  size_t size = kLengthField + kFrameHead + kTextHead;
  for (uint32_t s = 0; s < slot_count_; ++s) {
    size += sizeof(uint8_t);
    if (wanted_now_[s] != 0) size += kSlotHead - sizeof(uint8_t) + cl.message_type(s).encoded_size(cl.message(s));
  }
  if (text)
    for (size_t t = 0; t < cl.task_count(); ++t) size += cl.text_log(static_cast<uint32_t>(t)).bytes().size();
  return size <= frame_.size() && size <= UINT32_MAX ? size : 0;
}

void LiveFeed::encode_frame(const CopperList& cl, bool text, size_t size) {
  uint8_t* p = frame_.data();
  store_le<uint32_t>(p, static_cast<uint32_t>(size - kLengthField));
  store_le<uint64_t>(p + 4, cl.id);
  store_le<int64_t>(p + 12, cl.time);
  store_le<uint32_t>(p + 20, static_cast<uint32_t>(slot_count_));
  p += kLengthField + kFrameHead;
  for (uint32_t s = 0; s < slot_count_; ++s) {
    *p++ = wanted_now_[s];
    if (wanted_now_[s] == 0) continue;
    const MessageType& type = cl.message_type(s);
    const auto bytes = static_cast<uint32_t>(type.encoded_size(cl.message(s)));
    store_le<int64_t>(p, cl.time_of_validity(s));
    store_le<uint32_t>(p + 8, bytes);
    type.encode_into(cl.message(s), p + 12);
    p += 12 + bytes;
  }
  // The text payload: u32 entry count, then the entries.
  uint8_t* head = p;
  p += kTextHead;
  uint32_t entries = 0;
  if (text) {
    for (uint32_t t = 0; t < cl.task_count(); ++t) {
      entries += cl.text_log(t).entry_count();
      p = put_bytes(p, cl.text_log(t).bytes());
    }
  }
  store_le<uint32_t>(head, static_cast<uint32_t>(p - head - sizeof(uint32_t)));
  store_le<uint32_t>(head + 4, entries);
}

bool LiveFeed::sample(Nanos time) {
  if (period_ == 0) return true;
  if (sampled_any_ && time >= last_sample_ && time - last_sample_ < period_) return false;
  sampled_any_ = true;
  last_sample_ = time;
  return true;
}

namespace {

bool has_text(const CopperList& cl) {
  for (uint32_t t = 0; t < cl.task_count(); ++t)
    if (cl.text_log(t).entry_count() != 0) return true;
  return false;
}

}  // namespace

// The server thread may change the wanted flags at any time: they are read
// once per commit, into wanted_now_, so the frame is sized and encoded from
// the same choice.
Status LiveFeed::commit(const CopperList& cl) {
  if (!active_.load(std::memory_order_relaxed)) return {};
  const bool text = text_wanted_.load(std::memory_order_relaxed);
  bool any_slot = false;
  for (size_t s = 0; s < slot_count_; ++s) {
    wanted_now_[s] = slot_wanted_[s].load(std::memory_order_relaxed) ? 1 : 0;
    any_slot = any_slot || wanted_now_[s] != 0;
  }
  if (any_slot && !sample(cl.time)) {
    count(skipped_);
    std::fill(wanted_now_.begin(), wanted_now_.end(), 0);
    any_slot = false;
  }
  if (!any_slot && (!text || !has_text(cl))) return {};
  const size_t size = frame_size(cl, text);
  if (size == 0 || ring_.write_available() < size) {
    count(dropped_);
    return {};
  }
  encode_frame(cl, text, size);
  ring_.push(frame_.data(), size);
  count(pushed_);
  return {};
}

bool LiveFeed::pop(std::vector<uint8_t>& frame) {
  uint8_t length_bytes[kLengthField];
  if (ring_.read_available() < kLengthField) return false;
  ring_.pop(length_bytes, kLengthField);
  const uint32_t length = load_le<uint32_t>(length_bytes);
  frame.resize(length);
  // A frame is pushed whole, so its body is there once its length is.
  return ring_.pop(frame.data(), length) == length;
}

bool LiveFeed::parse(std::span<const uint8_t> frame, FrameView& out) {
  log::detail::Cursor cursor(frame);
  uint32_t slots = 0;
  if (!cursor.read(out.cl_id) || !cursor.read(out.time) || !cursor.read(slots)) return false;
  out.slots.assign(slots, {});
  for (auto& slot : out.slots) {
    uint8_t present = 0;
    if (!cursor.read(present)) return false;
    slot.present = present != 0;
    if (!slot.present) continue;
    uint32_t size = 0;
    if (!cursor.read(slot.time_of_validity) || !cursor.read(size) || !cursor.take(size, slot.bytes)) return false;
  }
  uint32_t text_bytes = 0;
  return cursor.read(text_bytes) && cursor.take(text_bytes, out.text) && cursor.remaining() == 0;
}

}  // namespace copper::live
