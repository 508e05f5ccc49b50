// The appending thread: everything commit, write_event and close put into
// the mapping. Nothing here may allocate, lock or make a system call in the
// steady state; waits for the helpers are counted in the stats.
#include <fmt/format.h>

#include <chrono>
#include <cstring>

#include "copper/text_log.hpp"
#include "writer_core.hpp"

namespace copper::log::detail {

Status WriterCore::fail(Status status) {
  if (failure_.ok()) failure_ = status;
  return status;
}

Status WriterCore::check_background() {
  if (!failure_.ok()) return failure_;
  if (!background_failed_.load(std::memory_order_acquire)) return {};
  std::lock_guard lock(failure_mutex_);
  return fail(background_status_);
}

Status WriterCore::append_sync_marks() {
  SyncMark mark;
  bool any = false;
  while (flusher_.pop_mark(mark)) any = true;
  if (!any) return {};
  std::array<uint8_t, SyncLayout::kSize> payload{};
  SyncLayout::encode(payload.data(), mark);
  return appender_.append(RecordType::sync, 0, payload);
}

// The frozen states of a keyframe copperlist; keyframe_states_ has room
// for every task, so this does not allocate.
Status WriterCore::append_keyframe(const CopperList& cl) {
  keyframe_states_.clear();
  for (uint32_t t = 0; t < task_count_; ++t) {
    const auto& state = cl.frozen_state(t);
    if (!state.empty()) keyframe_states_.push_back({t, state});
  }
  return append_keyframe(cl.id, keyframe_states_);
}

// Record type 5, for live and recorded keyframes alike.
Status WriterCore::append_keyframe(uint64_t cl_id, std::span<const KeyframeState> states) {
  uint64_t length = KeyframeHeader::kSize;
  for (const KeyframeState& state : states) length += KeyframeStateHeader::kSize + state.state.size();
  auto at = appender_.begin(length);
  if (!at.ok()) return at.status();
  uint8_t* p = *at;
  KeyframeHeader{cl_id, static_cast<uint32_t>(states.size())}.encode(p);
  p += KeyframeHeader::kSize;
  for (const KeyframeState& state : states) {
    KeyframeStateHeader{state.task_index, static_cast<uint32_t>(state.state.size())}.encode(p);
    p = put_bytes(p + KeyframeStateHeader::kSize, state.state);
  }
  appender_.finish(RecordType::keyframe, 0, static_cast<uint32_t>(length));
  ++keyframes_;
  return {};
}

// TextLogBuffer already holds entries in the text payload's layout.
Status WriterCore::append_text(const CopperList& cl) {
  uint64_t bytes = 0;
  uint32_t entries = 0;
  for (uint32_t t = 0; t < task_count_; ++t) {
    bytes += cl.text_log(t).bytes().size();
    entries += cl.text_log(t).entry_count();
    text_dropped_ += cl.text_log(t).dropped();
  }
  if (entries == 0) return {};
  Status strings = append_named_strings(cl);
  if (!strings.ok()) return strings;
  auto at = appender_.begin(kTextCountSize + bytes);
  if (!at.ok()) return at.status();
  uint8_t* p = *at;
  store_le<uint32_t>(p, entries);
  p += kTextCountSize;
  for (uint32_t t = 0; t < task_count_; ++t) p = put_bytes(p, cl.text_log(t).bytes());
  appender_.finish(RecordType::text, 0, static_cast<uint32_t>(kTextCountSize + bytes));
  text_entries_ += entries;
  return {};
}

Status WriterCore::append_string(const TextString& s) {
  const uint64_t length = string_record_size(s.file, s.format);
  auto at = appender_.begin(length);
  if (!at.ok()) return at.status();
  encode_string_record(*at, s.id, s.level, s.line, s.file, s.format);
  appender_.finish(RecordType::string, 0, static_cast<uint32_t>(length));
  // Grows only when a string is first written: not in the steady state.
  if (s.id >= strings_written_.size()) strings_written_.resize(s.id + 1);
  strings_written_[s.id] = true;
  return {};
}

// String records must precede the first text record naming them. Each
// writer writes the strings its own entries name, once each, in the order
// they are first named, so a second writer in the process does not copy
// the first one's strings. In the steady state this reads each entry's
// string id and tests a bit.
Status WriterCore::append_named_strings(const CopperList& cl) {
  for (uint32_t t = 0; t < task_count_; ++t) {
    const std::span<const uint8_t> bytes = cl.text_log(t).bytes();
    for (size_t at = 0; at + TextEntryHeader::kSize <= bytes.size();) {
      const TextEntryHeader head = TextEntryHeader::decode(bytes.data() + at);
      at += TextEntryHeader::kSize + head.args_length;
      if (string_written(head.string_id)) continue;
      // Registered before its entry was written, and the commit hand-off
      // synchronises: the count loaded here covers it.
      if (head.string_id >= copper::text_string_count())
        return Status::corruption(
            fmt::format("a text entry names string {}, which was never registered", head.string_id));
      Status status = append_string(copper::text_string(head.string_id));
      if (!status.ok()) return status;
    }
  }
  return {};
}

bool WriterCore::string_written(uint32_t id) const { return id < strings_written_.size() && strings_written_[id]; }

Status WriterCore::write_strings(std::span<const TextString> strings) {
  for (const TextString& s : strings) {
    Status status = append_string(s);
    if (!status.ok()) return status;
  }
  return {};
}

Status WriterCore::write_event(EventKind kind, uint64_t cl_id, std::string_view message) {
  if (closed_) return Status::error("log writer is closed");
  const uint64_t length = EventHeader::kSize + message.size();
  auto at = appender_.begin(length);
  if (!at.ok()) return at.status();
  EventHeader{static_cast<uint16_t>(kind), static_cast<uint32_t>(message.size()), cl_id, wall_now_ns()}.encode(*at);
  put_bytes(*at + EventHeader::kSize, message);
  appender_.finish(RecordType::event, 0, static_cast<uint32_t>(length));
  return {};
}

// Record type 12 (docs/log-format.md): the failure's words, then the
// copperlist entry as it stood. Not compressed and not batched: it is
// written once, when the run stops.
Status WriterCore::append_failure(std::string_view phase, std::string_view task, std::string_view message,
                                  const CopperListView& cl) {
  if (closed_) return Status::error("log writer is closed");
  if (Status status = check_background(); !status.ok()) return status;
  const size_t words = FailureHeader::kSize + phase.size() + task.size() + message.size();
  const size_t entry = entry_size(cl);
  auto at = appender_.begin(words + entry);
  if (!at.ok()) return fail(at.status());
  uint8_t* p = *at;
  FailureHeader{static_cast<uint16_t>(phase.size()), static_cast<uint16_t>(task.size()),
                static_cast<uint32_t>(message.size())}
      .encode(p);
  p += FailureHeader::kSize;
  for (std::string_view text : {phase, task, message}) p = put_bytes(p, text);
  write_entry(cl, entry, p);
  appender_.finish(RecordType::failure, 0, static_cast<uint32_t>(words + entry));
  return {};
}

// The failed copperlist as a view: every task's record, and the messages
// of the slots whose producer finished; the others are left empty, since
// what they hold is an older copperlist's message or a partial one. Once
// per run, off the commit path: it may allocate.
Status WriterCore::write_failure(const CopperList& cl, const TaskFailure& failure) {
  std::vector<TaskTiming> tasks;
  for (uint32_t t = 0; t < task_count_; ++t)
    tasks.push_back({cl.record(t).start, cl.record(t).end, cl.record(t).status});
  std::vector<std::vector<uint8_t>> messages(slot_count_);
  std::vector<SlotData> slots;
  for (uint32_t slot = 0; slot < slot_count_; ++slot) {
    const uint32_t producer = slot_producer_[slot];
    if (producer < task_count_ && tasks[producer].status == TaskStatus::ok)
      cl.message_type(slot).encode(cl.message(slot), messages[slot]);
    slots.push_back({cl.time_of_validity(slot), messages[slot]});
  }
  const CopperListView view{cl.id, cl.time, tasks, slots};
  Status status = append_failure(failure.phase, failure.task_id, failure.message, view);
  return status.ok() ? append_text(cl) : status;
}

void WriterCore::write_payload_header(uint8_t* p, uint64_t first_cl_id, uint32_t count) const {
  CopperlistsHeader{first_cl_id, count, slot_count_, task_count_}.encode(p);
}

uint8_t* WriterCore::write_entry_head(uint8_t* p, size_t size, uint64_t id, int64_t time) {
  EntryHeader{static_cast<uint32_t>(size - EntryHeader::kLengthField), id, time}.encode(p);
  return p + EntryHeader::kSize;
}

size_t WriterCore::entry_size(const CopperList& cl) {
  size_t size = entry_fixed_size(task_count_, slot_count_);
  for (uint32_t slot = 0; slot < slot_count_; ++slot) {
    const size_t bytes = cl.message_type(slot).encoded_size(cl.message(slot));
    slot_sizes_[slot] = static_cast<uint32_t>(bytes);
    size += bytes;
  }
  return size;
}

void WriterCore::write_entry(const CopperList& cl, size_t size, uint8_t* p) const {
  p = write_entry_head(p, size, cl.id, cl.time);
  for (uint32_t t = 0; t < task_count_; ++t, p += TaskTimingLayout::kSize) {
    const TaskRecord& record = cl.record(t);
    TaskTimingLayout::encode(p, record.start, record.end, record.status);
  }
  for (uint32_t slot = 0; slot < slot_count_; ++slot) {
    SlotHeader{cl.time_of_validity(slot), slot_sizes_[slot]}.encode(p);
    cl.message_type(slot).encode_into(cl.message(slot), p + SlotHeader::kSize);
    p += SlotHeader::kSize + slot_sizes_[slot];
  }
}

template <class Entry>
void WriterCore::encode_entry(const Entry& cl, std::vector<uint8_t>& out) {
  const size_t at = out.size();
  const size_t size = entry_size(cl);
  out.resize(at + size);
  write_entry(cl, size, out.data() + at);
}

Status WriterCore::append_copperlists(std::span<const uint8_t> payload, uint16_t flags, uint64_t first, uint32_t count,
                                      uint64_t raw_bytes) {
  auto at = appender_.begin(payload.size());
  if (!at.ok()) return at.status();
  std::memcpy(*at, payload.data(), payload.size());
  finish_copperlists(flags, first, count, static_cast<uint32_t>(payload.size()), raw_bytes);
  return {};
}

void WriterCore::finish_copperlists(uint16_t flags, uint64_t first, uint32_t count, uint32_t length,
                                    uint64_t raw_bytes) {
  const uint64_t offset = appender_.position();
  appender_.finish(RecordType::copperlists, flags, length);
  index_.add(first, count, offset);
  raw_cl_bytes_ += raw_bytes;
  stored_cl_bytes_ += length;
  // After the appender published the end: the flusher reads the count first.
  appended_cls_.store(appended_cls_.load(std::memory_order_relaxed) + count, std::memory_order_release);
}

// Appends a batch the compressor returned (packed when zstd shrank it) or
// took back (raw).
Status WriterCore::append_batch(const Batch& batch, bool packed) {
  const auto& stored = packed ? batch.packed : batch.raw;
  return append_copperlists(stored, packed ? kRecordFlagZstd : 0, batch.first_cl_id, batch.cl_count, batch.raw.size());
}

Status WriterCore::drain_compressed() {
  Batch* batch = nullptr;
  Status result;
  while (compressor_->pop_compressed(batch)) {
    if (result.ok() && !batch->error.ok()) result = fail(batch->error);
    if (result.ok()) result = append_batch(*batch, batch->use_packed);
    compressor_->give_back(batch);
  }
  return result;
}

// The crash-loss bound (docs/log-format.md, "Durability"): at most
// `batches` closed batches wait for the compressor. Older ones are written
// raw at once rather than waited for, so a commit never waits for zstd; a
// compressor that falls behind costs file bytes (counted in raw_batches),
// never a stalled cycle or more loss. Offline, it is waited for.
Status WriterCore::keep_queued_at_most(size_t batches) {
  Status status = drain_compressed();
  while (status.ok() && compressor_->outstanding() > batches) {
    if (options_.offline) {
      const uint32_t seen = compressor_->events();
      status = drain_compressed();
      if (status.ok() && compressor_->outstanding() > batches) compressor_->wait_for_event(seen);
      continue;
    }
    const Batch* batch = compressor_->take_oldest();  // back in the pool once the compressor passed it
    status = append_batch(*batch, false);
    ++raw_batches_;
  }
  return status;
}

// Takes a free batch for copperlists from first_cl_id on; false when every
// batch is still in the compressor's hands.
bool WriterCore::open_batch(uint64_t first_cl_id) {
  filling_ = compressor_->take_free();
  if (filling_ == nullptr) return false;
  filling_->raw.resize(CopperlistsHeader::kSize);
  write_payload_header(filling_->raw.data(), first_cl_id, 0);
  filling_->first_cl_id = first_cl_id;
  filling_->cl_count = 0;
  filling_stamp_ = compressor_->opened();
  return true;
}

// Full, old enough (the compressor marked it due), or, under policy
// commit, nothing else in compression: closing now costs no wait.
bool WriterCore::batch_ready_to_close() const {
  return filling_->cl_count >= options_.batch_cls || filling_->raw.size() >= options_.batch_bytes ||
         compressor_->due(filling_stamp_) || (close_when_idle_ && compressor_->outstanding() == 0);
}

void WriterCore::submit_batch() {
  compressor_->submit(filling_);
  filling_ = nullptr;
}

template <class Entry>
Status WriterCore::append_plain(const Entry& cl) {
  const size_t size = entry_size(cl);
  const size_t length = CopperlistsHeader::kSize + size;
  auto at = appender_.begin(length);
  if (!at.ok()) return at.status();
  write_payload_header(*at, cl.id, 1);
  write_entry(cl, size, *at + CopperlistsHeader::kSize);
  finish_copperlists(0, cl.id, 1, static_cast<uint32_t>(length), length);
  return {};
}

template <class Entry>
Status WriterCore::commit_entry(const Entry& cl) {
  if (!zstd_) return append_plain(cl);
  Status status = drain_compressed();
  if (!status.ok()) return status;
  // Ids inside a record are consecutive: a recorded copperlist after a gap
  // starts a new batch.
  if (filling_ != nullptr && cl.id != filling_->first_cl_id + filling_->cl_count) submit_batch();
  if (filling_ == nullptr && !open_batch(cl.id)) {
    // Every batch is out (taken ones not yet passed by the compressor):
    // what waits goes in raw, then this copperlist as a plain log's record.
    status = keep_queued_at_most(0);
    ++raw_batches_;
    return status.ok() ? append_plain(cl) : status;
  }
  encode_entry(cl, filling_->raw);
  CopperlistsHeader::put_cl_count(filling_->raw.data(), ++filling_->cl_count);
  if (batch_ready_to_close()) submit_batch();
  return keep_queued_at_most(WriterOptions::kQueuedBatches);
}

// Room for a few events (stop, error, signal) and string records.
constexpr uint64_t kEventRoom = 4096;

// With zstd, a full disk must not cost a copperlist commit() accepted:
// once no slab past those prepared will come (the ring failed to reserve
// one), a copperlist is refused (the slab's failure, sticky) unless the
// room left still holds the batches waiting in memory, this copperlist's
// entry, its other `records` (payload lengths) and kEventRoom, placed at
// worst: each slab boundary ahead may waste up to the largest footprint.
// Close then appends the batches into that room.
Status WriterCore::check_room(uint64_t entry, std::initializer_list<uint64_t> records) {
  uint64_t total = 0, largest = 0;
  auto add = [&](uint64_t length) {
    const uint64_t footprint = record_footprint(length);
    total += footprint;
    largest = std::max(largest, footprint);
  };
  compressor_->for_each_outstanding([&](const Batch& batch) { add(batch.raw.size()); });
  add((filling_ != nullptr ? filling_->raw.size() : CopperlistsHeader::kSize) + entry);
  for (uint64_t length : records) add(length);
  add(kEventRoom);
  const uint64_t pos = appender_.position();
  const uint64_t end = slabs_.prepared() * slab_size_;
  const uint64_t boundaries = end > pos ? (end - 1) / slab_size_ - pos / slab_size_ : 0;
  if (pos + total + boundaries * largest <= end) return {};
  return fail(slabs_.failure().value_or(Status::error("the log's disk is full")));
}

uint64_t WriterCore::keyframe_length(const CopperList& cl) const {
  uint64_t length = KeyframeHeader::kSize;
  for (uint32_t t = 0; t < task_count_; ++t)
    if (!cl.frozen_state(t).empty()) length += KeyframeStateHeader::kSize + cl.frozen_state(t).size();
  return length;
}

uint64_t WriterCore::text_length(const CopperList& cl) const {
  uint64_t bytes = kTextCountSize;
  for (uint32_t t = 0; t < task_count_; ++t) bytes += cl.text_log(t).bytes().size();
  return bytes;
}

// writer_recorded.cpp commits copperlists read from a log.
template Status WriterCore::commit_entry<CopperListView>(const CopperListView& cl);

Status WriterCore::commit(const CopperList& cl) {
  if (closed_) return Status::error("log writer is closed");
  Status status = check_background();
  if (status.ok() && zstd_ && slabs_.exhausted())
    status = check_room(entry_size(cl), {cl.is_keyframe() ? keyframe_length(cl) : 0, text_length(cl)});
  if (status.ok()) status = append_sync_marks();
  if (status.ok() && cl.is_keyframe()) status = append_keyframe(cl);
  if (status.ok()) status = commit_entry(cl);
  if (status.ok()) status = append_text(cl);
  if (!status.ok()) return status;
  count_commit(cl.id);
  return {};
}

void WriterCore::count_commit(uint64_t cl_id) {
  if (cls_++ == 0) first_cl_id_ = cl_id;
  last_cl_id_ = cl_id;
  flusher_.appended(appender_.position());
}

}  // namespace copper::log::detail
