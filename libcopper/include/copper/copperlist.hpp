// Copperlists: the preallocated containers one cycle of the graph fills.
//
// A CopperList holds one message per output slot of the graph plus, per
// task, when it ran and how it ended. A pool allocates all of them up front;
// the runtime recycles them, so steady-state cycles allocate nothing.
// Metadata is kept per task rather than per slot so that sinks, which have
// no output slot, still have their timing recorded; a slot's timing is its
// producer's.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "copper/clock.hpp"
#include "copper/export.hpp"
#include "copper/graph.hpp"
#include "copper/task_status.hpp"
#include "copper/text_log_buffer.hpp"

namespace copper {

struct TaskRecord {
  Nanos start = 0;  // process() entry, monotonic ns
  Nanos end = 0;    // process() exit, monotonic ns
  TaskStatus status = TaskStatus::not_run;
};

class COPPER_API CopperList {
 public:
  explicit CopperList(const Graph& graph);
  ~CopperList();
  CopperList(const CopperList&) = delete;
  CopperList& operator=(const CopperList&) = delete;

  uint64_t id = 0;
  Nanos time = 0;      // the timestamp every task of this copperlist sees
  Nanos admitted = 0;  // monotonic time of admission (set by the executor), for latency figures

  size_t slot_count() const { return messages_.size(); }
  void* message(uint32_t slot) { return messages_[slot]; }
  const void* message(uint32_t slot) const { return messages_[slot]; }
  const MessageType& message_type(uint32_t slot) const { return *types_[slot]; }
  template <class T>
  const T& message_as(uint32_t slot) const { return *static_cast<const T*>(messages_[slot]); }

  // When the message in `slot` was valid (defaults to `time`).
  Nanos& time_of_validity(uint32_t slot) { return time_of_validity_[slot]; }
  Nanos time_of_validity(uint32_t slot) const { return time_of_validity_[slot]; }

  size_t task_count() const { return records_.size(); }
  TaskRecord& record(uint32_t task) { return records_[task]; }
  const TaskRecord& record(uint32_t task) const { return records_[task]; }

  // Text-log entries each task wrote while processing this copperlist.
  TextLogBuffer& text_log(uint32_t task) { return text_logs_[task]; }
  const TextLogBuffer& text_log(uint32_t task) const { return text_logs_[task]; }

  // Keyframes: on a keyframe copperlist the runtime freezes each stateful
  // task just before it processes this copperlist, so the states form a
  // consistent "before copperlist `id`" cut; they are committed with it.
  bool is_keyframe() const { return keyframe_; }
  void set_keyframe(bool keyframe) { keyframe_ = keyframe; }
  // The task's frozen state; empty when the task has none to give.
  std::vector<uint8_t>& frozen_state(uint32_t task) { return frozen_[task]; }
  const std::vector<uint8_t>& frozen_state(uint32_t task) const { return frozen_[task]; }

  // Prepares a recycled copperlist for cycle `new_id`: clears every task
  // record, text log and frozen state (keeping their capacity). Messages are
  // reset lazily, just before their producer runs.
  void recycle(uint64_t new_id, Nanos new_time);

 private:
  std::vector<void*> messages_;
  std::vector<const MessageType*> types_;
  std::vector<Nanos> time_of_validity_;
  std::vector<TaskRecord> records_;
  std::vector<TextLogBuffer> text_logs_;
  std::vector<std::vector<uint8_t>> frozen_;
  bool keyframe_ = false;
};

// A fixed ring of copperlists; cycle n uses entry n % capacity.
class COPPER_API CopperListPool {
 public:
  CopperListPool(const Graph& graph, size_t capacity);

  size_t capacity() const { return lists_.size(); }
  // n % capacity, by a mask when the capacity is a power of two: the
  // parallel executor asks once per task, and a 64-bit division costs tens
  // of cycles on its critical path.
  size_t slot_of(uint64_t id) const { return mask_ != kNoMask ? id & mask_ : id % lists_.size(); }
  CopperList& for_cycle(uint64_t id) { return *lists_[slot_of(id)]; }
  CopperList& entry(size_t slot) { return *lists_[slot]; }

 private:
  static constexpr uint64_t kNoMask = ~uint64_t{0};
  std::vector<std::unique_ptr<CopperList>> lists_;
  uint64_t mask_ = kNoMask;
};

}  // namespace copper
