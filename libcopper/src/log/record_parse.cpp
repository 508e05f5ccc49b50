#include "record_parse.hpp"

#include "../bounded_input.hpp"
#include "../text_util.hpp"

#include <fmt/format.h>

namespace copper::log::detail {
namespace {

// Every error here is a payload that breaks the format.
template <class... Args>
Status fail(fmt::format_string<Args...> format, Args&&... args) {
  return ::copper::detail::fail(StatusCode::corruption, format, std::forward<Args>(args)...);
}

constexpr uint8_t kMaxTextLevel = static_cast<uint8_t>(TextLevel::error);

Status parse_cl_entry(Cursor& c, uint64_t expected_id, uint32_t task_count, uint32_t slot_count, CopperListBatch& out) {
  uint32_t length = 0;
  std::span<const uint8_t> entry;
  if (!c.read(length) || !c.take(length, entry))
    return fail("entry_length {} exceeds the {} bytes left", length, c.remaining());
  // The head's length field is behind us: the rest of the head follows.
  constexpr size_t kRestOfHead = EntryHeader::kSize - EntryHeader::kLengthField;
  if (entry.size() < kRestOfHead) return fail("entry of {} bytes is too short", length);
  CopperListView cl;
  cl.id = load_le<uint64_t>(entry.data() + EntryHeader::kClId - EntryHeader::kLengthField);
  cl.time_ns = load_le<int64_t>(entry.data() + EntryHeader::kTime - EntryHeader::kLengthField);
  if (cl.id != expected_id) return fail("copperlist id {} where {} was expected", cl.id, expected_id);
  Cursor e(entry.subspan(kRestOfHead));
  for (uint32_t t = 0; t < task_count; ++t) {
    std::span<const uint8_t> bytes;
    if (!e.take(TaskTimingLayout::kSize, bytes)) return fail("copperlist {}: task {} cut short", cl.id, t);
    uint8_t status = 0;
    const TaskTiming timing = TaskTimingLayout::decode(bytes.data(), status);
    if (status > kMaxTaskStatus) return fail("copperlist {}: task {} has status {}", cl.id, t, unsigned{status});
    out.tasks.push_back(timing);
  }
  for (uint32_t s = 0; s < slot_count; ++s) {
    SlotHeader head;
    SlotData slot;
    if (!e.read_head(head) || !e.take(head.length, slot.bytes))
      return fail("copperlist {}: slot {} cut short", cl.id, s);
    slot.time_of_validity_ns = head.time_of_validity_ns;
    out.slots.push_back(slot);
  }
  if (e.remaining() != 0) return fail("copperlist {}: {} bytes after the last slot", cl.id, e.remaining());
  out.copperlists.push_back(cl);
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
  FailureHeader head;
  if (!c.read_head(head) || !read_text(c, head.phase_length, out.phase) ||
      !read_text(c, head.task_length, out.task_id) || !read_text(c, head.message_length, out.message))
    return fail("failure record of {} bytes is cut short", payload.size());
  // The entry's id is whatever it says; parse_cl_entry checks it against this.
  if (c.remaining() < EntryHeader::kClId + sizeof(uint64_t)) return fail("failure record has no copperlist entry");
  const uint64_t id = load_le<uint64_t>(payload.data() + c.position() + EntryHeader::kClId);
  CopperListBatch batch;
  if (Status s = parse_cl_entry(c, id, shape->task_count, shape->slot_count, batch); !s) return s;
  if (c.remaining() != 0) return fail("{} bytes after the failure record's copperlist", c.remaining());
  out.cl_id = batch.copperlists.front().id;
  out.time_ns = batch.copperlists.front().time_ns;
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
  for (size_t i = 0; i < out.copperlists.size(); ++i) {
    out.copperlists[i].tasks = std::span<const TaskTiming>(out.tasks).subspan(i * task_count, task_count);
    out.copperlists[i].slots = std::span<const SlotData>(out.slots).subspan(i * slot_count, slot_count);
  }
}

Status check_args(std::span<const uint8_t> args, uint8_t count) {
  Cursor c(args);
  for (unsigned i = 0; i < count; ++i) {
    uint8_t tag = 0;
    std::span<const uint8_t> value;
    if (!c.read(tag)) return fail("argument {} of {} missing", i, count);
    const uint64_t size = text_arg_value_size(tag);
    if (size == 0) return fail("argument {} has unknown tag {}", i, tag);
    if (!c.take(size, value)) return fail("argument {} cut short", i);
    if (static_cast<ArgTag>(tag) == ArgTag::string && !c.take(load_le<uint32_t>(value.data()), value))
      return fail("string argument {} cut short", i);
  }
  if (c.remaining() != 0) return fail("{} bytes after the last argument", c.remaining());
  return Status();
}

Status parse_text_entry(Cursor& c, std::vector<TextEntry>& out) {
  TextEntryHeader head;
  TextEntry entry;
  if (!c.read_head(head) || !c.take(head.args_length, entry.args)) return fail("entry cut short");
  if (head.level > kMaxTextLevel) return fail("level {}", head.level);
  entry.cl_id = head.cl_id;
  entry.task_index = head.task_index;
  entry.string_id = head.string_id;
  entry.level = static_cast<TextLevel>(head.level);
  entry.arg_count = head.arg_count;
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
  out.copperlists.clear();
  out.tasks.clear();
  out.slots.clear();
  Cursor c(payload);
  CopperlistsHeader head;
  if (!c.read_head(head)) return fail("payload of {} bytes is shorter than its header", payload.size());
  const uint64_t first = head.first_cl_id;
  const uint32_t count = head.cl_count, slot_count = head.slot_count, task_count = head.task_count;
  if (shape && (shape->slot_count != slot_count || shape->task_count != task_count))
    return fail("{} slots and {} tasks per copperlist where the metadata has {} and {}", slot_count, task_count,
                shape->slot_count, shape->task_count);
  const uint64_t min_entry = entry_fixed_size(task_count, slot_count);
  if (count > c.remaining() / min_entry) return fail("{} copperlists cannot fit in {} bytes", count, c.remaining());
  out.copperlists.reserve(count);
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
  if (count > c.remaining() / TextEntryHeader::kSize)
    return fail("{} entries cannot fit in {} bytes", count, c.remaining());
  for (uint32_t i = 0; i < count; ++i) {
    if (Status s = parse_text_entry(c, out); !s) return fail("entry {}: {}", i, s.message());
  }
  return no_trailing(c);
}

Status parse_string(std::span<const uint8_t> payload, StringEntry& out) {
  Cursor c(payload);
  StringHeader head;
  uint32_t format_length = 0;
  std::span<const uint8_t> file, format;
  if (!c.read_head(head) || !c.take(head.file_length, file) || !c.read(format_length) || !c.take(format_length, format))
    return fail("payload cut short");
  if (head.level > kMaxTextLevel) return fail("level {}", head.level);
  out.id = head.id;
  out.line = head.line;
  out.level = static_cast<TextLevel>(head.level);
  out.file = as_string(file);
  out.format = as_string(format);
  return no_trailing(c);
}

Status parse_keyframe(std::span<const uint8_t> payload, uint64_t& cl_id, std::vector<KeyframeState>& states) {
  states.clear();
  Cursor c(payload);
  KeyframeHeader head;
  if (!c.read_head(head)) return fail("payload too short");
  cl_id = head.cl_id;
  if (head.count > c.remaining() / KeyframeStateHeader::kSize)
    return fail("{} states cannot fit in {} bytes", head.count, c.remaining());
  for (uint32_t i = 0; i < head.count; ++i) {
    KeyframeStateHeader state_head;
    KeyframeState state;
    if (!c.read_head(state_head) || !c.take(state_head.length, state.state)) return fail("state {} cut short", i);
    state.task_index = state_head.task_index;
    states.push_back(state);
  }
  return no_trailing(c);
}

Status parse_event(std::span<const uint8_t> payload, Event& out) {
  Cursor c(payload);
  EventHeader head;
  std::span<const uint8_t> message;
  if (!c.read_head(head) || !c.take(head.message_length, message)) return fail("payload cut short");
  out.kind = static_cast<EventKind>(head.kind);
  out.cl_id = head.cl_id;
  out.time_ns = head.time_ns;
  out.message = as_string(message);
  return no_trailing(c);
}

Status parse_sync(std::span<const uint8_t> payload, SyncMark& out) {
  if (payload.size() != SyncLayout::kSize)
    return fail("payload of {} bytes, not {}", payload.size(), SyncLayout::kSize);
  out = SyncLayout::decode(payload.data());
  return Status();
}

Status parse_json_object(std::span<const uint8_t> payload, nlohmann::json& out) {
  auto parsed = copper::detail::parse_json_bounded(
      std::string_view(reinterpret_cast<const char*>(payload.data()), payload.size()), "a JSON record of a log");
  if (!parsed) {
    out = nullptr;
    return fail("{}", parsed.error_message());
  }
  out = std::move(*parsed);
  if (!out.is_object()) {
    out = nullptr;
    return fail("JSON is not an object");
  }
  return Status();
}

Status parse_footer(std::span<const uint8_t> payload, Footer& out) {
  if (payload.size() != Footer::kSize) return fail("payload of {} bytes, not {}", payload.size(), Footer::kSize);
  out = Footer::decode(payload.data());
  return Status();
}

Result<IndexView> IndexView::parse(std::span<const uint8_t> payload) {
  if (payload.size() < IndexHeader::kSize) return fail("payload too short");
  const uint32_t count = load_le<uint32_t>(payload.data() + IndexHeader::kCount);
  const uint64_t need = index_record_size(count) - IndexHeader::kSize;
  if (payload.size() - IndexHeader::kSize != need)
    return fail("{} entries need {} bytes, the payload has {}", count, need, payload.size() - IndexHeader::kSize);
  IndexView view;
  view.entries_ = payload.subspan(IndexHeader::kSize);
  return view;
}

IndexEntry IndexView::entry(uint64_t i) const { return IndexEntry::decode(entries_.data() + i * IndexEntry::kSize); }

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
