// Writing data read from another log (copper-log recover): the same
// records commit() writes, built from reader views instead of a live
// copperlist. Bytes are copied as they were verified; the checksums are new.
#include <fmt/format.h>

#include <cstring>

#include "copper/text_log.hpp"
#include "writer_core.hpp"

namespace copper::log::detail {

namespace {

constexpr size_t kTextEntryHead = copper::detail::kTextEntryHeaderSize;

}  // namespace

size_t WriterCore::entry_size(const CopperListView& cl) {
  size_t size = 20 + cl.tasks.size() * kTaskRecord + cl.slots.size() * 12;
  for (const SlotData& slot : cl.slots) size += slot.bytes.size();
  return size;
}

void WriterCore::write_entry(const CopperListView& cl, size_t size, uint8_t* p) const {
  p = write_entry_head(p, size, cl.id, cl.time_ns);
  for (const TaskTiming& task : cl.tasks) {
    store_le<int64_t>(p, task.start_ns);
    store_le<int64_t>(p + 8, task.end_ns);
    p[16] = static_cast<uint8_t>(task.status);
    p += kTaskRecord;
  }
  for (const SlotData& slot : cl.slots) {
    store_le<int64_t>(p, slot.time_of_validity_ns);
    store_le<uint32_t>(p + 8, static_cast<uint32_t>(slot.bytes.size()));
    if (!slot.bytes.empty()) std::memcpy(p + 12, slot.bytes.data(), slot.bytes.size());
    p += 12 + slot.bytes.size();
  }
}

Status WriterCore::commit_recorded(const CopperListView& cl) {
  if (closed_) return Status::error("log writer is closed");
  if (cl.tasks.size() != task_count_ || cl.slots.size() != slot_count_)
    return Status::error(fmt::format("copperlist {} has {} tasks and {} slots, the log {} and {}", cl.id,
                                     cl.tasks.size(), cl.slots.size(), task_count_, slot_count_));
  if (cls_ > 0 && cl.id <= last_cl_id_)
    return Status::error(fmt::format("copperlist {} after copperlist {}: ids must increase", cl.id, last_cl_id_));
  Status status = check_background();
  if (status.ok()) status = append_sync_marks();
  if (status.ok()) status = commit_entry(cl);
  if (!status.ok()) return status;
  count_commit(cl.id);
  return {};
}

Status WriterCore::write_recorded_failure(const RecordedFailure& failure) {
  std::vector<SlotData> slots;
  for (size_t slot = 0; slot < failure.slots.size(); ++slot)
    slots.push_back({failure.time_of_validity[slot], failure.slots[slot]});
  if (failure.tasks.size() != task_count_ || slots.size() != slot_count_)
    return Status::error(fmt::format("the failed copperlist {} has {} tasks and {} slots, the log {} and {}",
                                     failure.cl_id, failure.tasks.size(), slots.size(), task_count_, slot_count_));
  const CopperListView view{failure.cl_id, failure.time_ns, failure.tasks, slots};
  return append_failure(failure.phase, failure.task_id, failure.message, view);
}

Status WriterCore::write_recorded_text(std::span<const TextEntry> entries) {
  if (closed_) return Status::error("log writer is closed");
  if (entries.empty()) return {};
  uint64_t length = 4;
  for (const TextEntry& entry : entries) length += kTextEntryHead + entry.args.size();
  auto at = begin_record(length);
  if (!at.ok()) return at.status();
  uint8_t* p = *at;
  store_le<uint32_t>(p, static_cast<uint32_t>(entries.size()));
  p += 4;
  for (const TextEntry& entry : entries) {
    store_le<uint64_t>(p, entry.cl_id);
    store_le<uint32_t>(p + 8, entry.task_index);
    store_le<uint32_t>(p + 12, entry.string_id);
    p[16] = static_cast<uint8_t>(entry.level);
    p[17] = entry.arg_count;
    store_le<uint16_t>(p + 18, static_cast<uint16_t>(entry.args.size()));
    if (!entry.args.empty()) std::memcpy(p + kTextEntryHead, entry.args.data(), entry.args.size());
    p += kTextEntryHead + entry.args.size();
  }
  finish_record(RecordType::text, 0, static_cast<uint32_t>(length));
  text_entries_ += entries.size();
  return {};
}

Status WriterCore::write_recorded_keyframe(const Keyframe& keyframe) {
  if (closed_) return Status::error("log writer is closed");
  uint64_t length = 12;
  for (const KeyframeState& state : keyframe.states) length += 8 + state.state.size();
  auto at = begin_record(length);
  if (!at.ok()) return at.status();
  uint8_t* p = *at;
  store_le<uint64_t>(p, keyframe.cl_id);
  store_le<uint32_t>(p + 8, static_cast<uint32_t>(keyframe.states.size()));
  p += 12;
  for (const KeyframeState& state : keyframe.states) {
    store_le<uint32_t>(p, state.task_index);
    store_le<uint32_t>(p + 4, static_cast<uint32_t>(state.state.size()));
    if (!state.state.empty()) std::memcpy(p + 8, state.state.data(), state.state.size());
    p += 8 + state.state.size();
  }
  finish_record(RecordType::keyframe, 0, static_cast<uint32_t>(length));
  ++keyframes_;
  return {};
}

}  // namespace copper::log::detail
