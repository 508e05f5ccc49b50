// Writing data read from another log (copper-log recover): the same
// records commit() writes, built from reader views instead of a live
// copperlist. Bytes are copied as they were verified; the checksums are new.
#include <fmt/format.h>

#include <cstring>

#include "copper/text_log.hpp"
#include "writer_core.hpp"

namespace copper::log::detail {

size_t WriterCore::entry_size(const CopperListView& cl) {
  size_t size = entry_fixed_size(cl.tasks.size(), cl.slots.size());
  for (const SlotData& slot : cl.slots) size += slot.bytes.size();
  return size;
}

void WriterCore::write_entry(const CopperListView& cl, size_t size, uint8_t* p) const {
  p = write_entry_head(p, size, cl.id, cl.time_ns);
  for (const TaskTiming& task : cl.tasks) {
    TaskTimingLayout::encode(p, task.start_ns, task.end_ns, task.status);
    p += TaskTimingLayout::kSize;
  }
  for (const SlotData& slot : cl.slots) {
    SlotHeader{slot.time_of_validity_ns, static_cast<uint32_t>(slot.bytes.size())}.encode(p);
    p = put_bytes(p + SlotHeader::kSize, slot.bytes);
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
  if (status.ok() && zstd_ && slabs_.exhausted()) status = check_room(entry_size(cl), {});
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
  uint64_t length = kTextCountSize;
  for (const TextEntry& entry : entries) length += TextEntryHeader::kSize + entry.args.size();
  auto at = appender_.begin(length);
  if (!at.ok()) return at.status();
  uint8_t* p = *at;
  store_le<uint32_t>(p, static_cast<uint32_t>(entries.size()));
  p += kTextCountSize;
  for (const TextEntry& entry : entries) {
    TextEntryHeader{entry.cl_id,     entry.task_index,
                    entry.string_id, static_cast<uint8_t>(entry.level),
                    entry.arg_count, static_cast<uint16_t>(entry.args.size())}
        .encode(p);
    p = put_bytes(p + TextEntryHeader::kSize, entry.args);
  }
  appender_.finish(RecordType::text, 0, static_cast<uint32_t>(length));
  text_entries_ += entries.size();
  return {};
}

Status WriterCore::write_recorded_keyframe(const Keyframe& keyframe) {
  if (closed_) return Status::error("log writer is closed");
  return append_keyframe(keyframe.cl_id, keyframe.states);
}

}  // namespace copper::log::detail
