#include "record_parse.hpp"

#include "../text_util.hpp"

#include <fmt/format.h>

namespace copper::log::detail {
namespace {

using ::copper::detail::fail;

constexpr uint64_t kTaskTimingSize = 17;  // i64 start, i64 end, u8 status
constexpr uint64_t kSlotHeaderSize = 12;  // i64 time of validity, u32 length
constexpr uint64_t kClEntryMinSize = 20;  // u32 entry_length, u64 id, i64 time
constexpr uint64_t kTextEntryMinSize = 20;
constexpr uint64_t kKeyframeStateMinSize = 8;
constexpr uint8_t kMaxTextLevel = static_cast<uint8_t>(TextLevel::error);

Status parse_cl_entry(Cursor& c, uint64_t expected_id, uint32_t task_count, uint32_t slot_count, CopperListBatch& out) {
  uint32_t length = 0;
  std::span<const uint8_t> entry;
  if (!c.read(length) || !c.take(length, entry))
    return fail("entry_length {} exceeds the {} bytes left", length, c.remaining());
  Cursor e(entry);
  CopperListView cl;
  if (!e.read(cl.id) || !e.read(cl.time_ns)) return fail("entry of {} bytes is too short", length);
  if (cl.id != expected_id) return fail("copperlist id {} where {} was expected", cl.id, expected_id);
  for (uint32_t t = 0; t < task_count; ++t) {
    TaskTiming timing;
    if (!e.read(timing.start_ns) || !e.read(timing.end_ns) || !e.read(timing.status))
      return fail("copperlist {}: task {} cut short", cl.id, t);
    if (static_cast<uint8_t>(timing.status) > kMaxTaskStatus)
      return fail("copperlist {}: task {} has status {}", cl.id, t, static_cast<unsigned>(timing.status));
    out.tasks.push_back(timing);
  }
  for (uint32_t s = 0; s < slot_count; ++s) {
    SlotData slot;
    uint32_t size = 0;
    if (!e.read(slot.time_of_validity_ns) || !e.read(size) || !e.take(size, slot.bytes))
      return fail("copperlist {}: slot {} cut short", cl.id, s);
    out.slots.push_back(slot);
  }
  if (e.remaining() != 0) return fail("copperlist {}: {} bytes after the last slot", cl.id, e.remaining());
  out.cls.push_back(cl);
  return Status();
}

bool read_text(Cursor& c, uint64_t length, std::string& out) {
  std::span<const uint8_t> bytes;
  if (!c.take(length, bytes)) return false;
  out.assign(bytes.begin(), bytes.end());
  return true;
}

}  // namespace

Status parse_failure(std::span<const uint8_t> payload, const std::optional<ClShape>& shape, RecordedFailure& out) {
  if (!shape) return fail("a failure record needs the metadata's task and slot counts");
  Cursor c(payload);
  uint16_t phase_length = 0, task_length = 0;
  uint32_t message_length = 0;
  if (!c.read(phase_length) || !c.read(task_length) || !c.read(message_length) ||
      !read_text(c, phase_length, out.phase) || !read_text(c, task_length, out.task_id) ||
      !read_text(c, message_length, out.message))
    return fail("failure record of {} bytes is cut short", payload.size());
  // The entry's id is whatever it says; parse_cl_entry checks it against this.
  uint64_t id = 0;
  if (c.remaining() < 12) return fail("failure record has no copperlist entry");
  id = load_le<uint64_t>(payload.data() + c.position() + 4);
  CopperListBatch batch;
  if (Status s = parse_cl_entry(c, id, shape->task_count, shape->slot_count, batch); !s) return s;
  if (c.remaining() != 0) return fail("{} bytes after the failure record's copperlist", c.remaining());
  out.cl_id = batch.cls.front().id;
  out.time_ns = batch.cls.front().time_ns;
  out.tasks = batch.tasks;
  out.time_of_validity.clear();
  out.slots.clear();
  for (const SlotData& slot : batch.slots) {
    out.time_of_validity.push_back(slot.time_of_validity_ns);
    out.slots.emplace_back(slot.bytes.begin(), slot.bytes.end());
  }
  return Status();
}

namespace {

// Spans are set only once the vectors have stopped growing.
void link_batch(CopperListBatch& out, uint32_t task_count, uint32_t slot_count) {
  for (size_t i = 0; i < out.cls.size(); ++i) {
    out.cls[i].tasks = std::span<const TaskTiming>(out.tasks).subspan(i * task_count, task_count);
    out.cls[i].slots = std::span<const SlotData>(out.slots).subspan(i * slot_count, slot_count);
  }
}

uint64_t arg_size(uint8_t tag) {
  switch (static_cast<ArgTag>(tag)) {
    case ArgTag::boolean:
    case ArgTag::character: return 1;
    case ArgTag::f32: return 4;
    case ArgTag::i64:
    case ArgTag::u64:
    case ArgTag::f64: return 8;
    case ArgTag::string: return 4;  // the length; the bytes follow
  }
  return 0;
}

Status check_args(std::span<const uint8_t> args, uint8_t count) {
  Cursor c(args);
  for (unsigned i = 0; i < count; ++i) {
    uint8_t tag = 0;
    std::span<const uint8_t> value;
    if (!c.read(tag)) return fail("argument {} of {} missing", i, count);
    const uint64_t size = arg_size(tag);
    if (size == 0) return fail("argument {} has unknown tag {}", i, tag);
    if (!c.take(size, value)) return fail("argument {} cut short", i);
    if (static_cast<ArgTag>(tag) == ArgTag::string && !c.take(load_le<uint32_t>(value.data()), value))
      return fail("string argument {} cut short", i);
  }
  if (c.remaining() != 0) return fail("{} bytes after the last argument", c.remaining());
  return Status();
}

Status parse_text_entry(Cursor& c, std::vector<TextEntry>& out) {
  TextEntry entry;
  uint8_t level = 0;
  uint16_t args_length = 0;
  if (!c.read(entry.cl_id) || !c.read(entry.task_index) || !c.read(entry.string_id) || !c.read(level) ||
      !c.read(entry.arg_count) || !c.read(args_length) || !c.take(args_length, entry.args))
    return fail("entry cut short");
  if (level > kMaxTextLevel) return fail("level {}", level);
  entry.level = static_cast<TextLevel>(level);
  if (Status s = check_args(entry.args, entry.arg_count); !s) return s;
  out.push_back(entry);
  return Status();
}

Status no_trailing(const Cursor& c) {
  return c.remaining() == 0 ? Status() : fail("{} unexpected bytes at the end", c.remaining());
}

std::string as_string(std::span<const uint8_t> bytes) { return std::string(bytes.begin(), bytes.end()); }

}  // namespace

Status parse_copperlists(std::span<const uint8_t> payload, const std::optional<ClShape>& shape, CopperListBatch& out) {
  out.cls.clear();
  out.tasks.clear();
  out.slots.clear();
  Cursor c(payload);
  uint64_t first = 0;
  uint32_t count = 0, slot_count = 0, task_count = 0, reserved = 0;
  if (!c.read(first) || !c.read(count) || !c.read(slot_count) || !c.read(task_count) || !c.read(reserved))
    return fail("payload of {} bytes is shorter than its header", payload.size());
  if (shape && (shape->slot_count != slot_count || shape->task_count != task_count))
    return fail("{} slots and {} tasks per copperlist where the metadata has {} and {}", slot_count, task_count,
                shape->slot_count, shape->task_count);
  const uint64_t min_entry = kClEntryMinSize + task_count * kTaskTimingSize + slot_count * kSlotHeaderSize;
  if (count > c.remaining() / min_entry) return fail("{} copperlists cannot fit in {} bytes", count, c.remaining());
  out.cls.reserve(count);
  out.tasks.reserve(uint64_t{count} * task_count);
  out.slots.reserve(uint64_t{count} * slot_count);
  for (uint32_t i = 0; i < count; ++i) {
    if (Status s = parse_cl_entry(c, first + i, task_count, slot_count, out); !s)
      return fail("entry {}: {}", i, s.message());
  }
  if (Status s = no_trailing(c); !s) return s;
  link_batch(out, task_count, slot_count);
  return Status();
}

Status parse_text(std::span<const uint8_t> payload, std::vector<TextEntry>& out) {
  out.clear();
  Cursor c(payload);
  uint32_t count = 0;
  if (!c.read(count)) return fail("payload too short");
  if (count > c.remaining() / kTextEntryMinSize) return fail("{} entries cannot fit in {} bytes", count, c.remaining());
  for (uint32_t i = 0; i < count; ++i) {
    if (Status s = parse_text_entry(c, out); !s) return fail("entry {}: {}", i, s.message());
  }
  return no_trailing(c);
}

Status parse_string(std::span<const uint8_t> payload, StringEntry& out) {
  Cursor c(payload);
  uint8_t level = 0;
  uint16_t file_length = 0;
  uint32_t format_length = 0;
  std::span<const uint8_t> file, format;
  if (!c.read(out.id) || !c.read(level) || !c.read(out.line) || !c.read(file_length) || !c.take(file_length, file) ||
      !c.read(format_length) || !c.take(format_length, format))
    return fail("payload cut short");
  if (level > kMaxTextLevel) return fail("level {}", level);
  out.level = static_cast<TextLevel>(level);
  out.file = as_string(file);
  out.format = as_string(format);
  return no_trailing(c);
}

Status parse_keyframe(std::span<const uint8_t> payload, uint64_t& cl_id, std::vector<KeyframeState>& states) {
  states.clear();
  Cursor c(payload);
  uint32_t count = 0;
  if (!c.read(cl_id) || !c.read(count)) return fail("payload too short");
  if (count > c.remaining() / kKeyframeStateMinSize)
    return fail("{} states cannot fit in {} bytes", count, c.remaining());
  for (uint32_t i = 0; i < count; ++i) {
    KeyframeState state;
    uint32_t length = 0;
    if (!c.read(state.task_index) || !c.read(length) || !c.take(length, state.state))
      return fail("state {} cut short", i);
    states.push_back(state);
  }
  return no_trailing(c);
}

Status parse_event(std::span<const uint8_t> payload, Event& out) {
  Cursor c(payload);
  uint16_t kind = 0, reserved = 0;
  uint32_t length = 0;
  std::span<const uint8_t> message;
  if (!c.read(kind) || !c.read(reserved) || !c.read(length) || !c.read(out.cl_id) || !c.read(out.time_ns) ||
      !c.take(length, message))
    return fail("payload cut short");
  out.kind = static_cast<EventKind>(kind);
  out.message = as_string(message);
  return no_trailing(c);
}

Status parse_sync(std::span<const uint8_t> payload, SyncMark& out) {
  Cursor c(payload);
  if (!c.read(out.durable_offset) || !c.read(out.durable_cls) || !c.read(out.time_ns)) return fail("payload too short");
  return no_trailing(c);
}

Status parse_json_object(std::span<const uint8_t> payload, nlohmann::json& out) {
  out = nlohmann::json::parse(payload.begin(), payload.end(), nullptr, false);
  if (out.is_discarded()) {
    out = nullptr;
    return fail("not valid JSON");
  }
  if (!out.is_object()) {
    out = nullptr;
    return fail("JSON is not an object");
  }
  return Status();
}

Status parse_footer(std::span<const uint8_t> payload, Footer& out) {
  Cursor c(payload);
  if (!c.read(out.summary_offset) || !c.read(out.index_offset) || !c.read(out.cl_count) || !c.read(out.data_end))
    return fail("payload too short");
  return no_trailing(c);
}

Result<IndexView> IndexView::parse(std::span<const uint8_t> payload) {
  Cursor c(payload);
  uint32_t count = 0, reserved = 0;
  if (!c.read(count) || !c.read(reserved)) return fail("payload too short");
  if (c.remaining() != uint64_t{count} * kEntrySize)
    return fail("{} entries need {} bytes, the payload has {}", count, uint64_t{count} * kEntrySize, c.remaining());
  IndexView view;
  view.entries_ = payload.subspan(c.position());
  return view;
}

IndexEntry IndexView::entry(uint64_t i) const {
  const uint8_t* p = entries_.data() + i * kEntrySize;
  return IndexEntry{load_le<uint64_t>(p), load_le<uint32_t>(p + 8), load_le<uint64_t>(p + 16)};
}

std::optional<IndexEntry> IndexView::seek_point(uint64_t id) const {
  uint64_t lo = 0, hi = size();
  while (lo < hi) {
    const uint64_t mid = lo + (hi - lo) / 2;
    if (entry(mid).first_cl_id <= id)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo == 0) return std::nullopt;
  return entry(lo - 1);
}

}  // namespace copper::log::detail
