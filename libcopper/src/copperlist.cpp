#include "copper/copperlist.hpp"

#include <algorithm>
#include <bit>

namespace copper {

const char* to_string(TaskStatus status) {
  switch (status) {
    case TaskStatus::not_run: return "not_run";
    case TaskStatus::ok: return "ok";
    case TaskStatus::failed: return "failed";
  }
  return "unknown";
}

CopperList::CopperList(const Graph& graph)
    : time_of_validity_(graph.slots().size(), 0),
      records_(graph.tasks().size()),
      text_logs_(graph.tasks().size()),
      frozen_(graph.tasks().size()) {
  messages_.reserve(graph.slots().size());
  types_.reserve(graph.slots().size());
  for (const SlotInfo& slot : graph.slots()) {
    types_.push_back(slot.type);
    messages_.push_back(slot.type->create());
  }
}

CopperList::~CopperList() {
  for (size_t i = 0; i < messages_.size(); ++i) types_[i]->destroy(messages_[i]);
}

void CopperList::recycle(uint64_t new_id, Nanos new_time) {
  id = new_id;
  time = new_time;
  admitted = 0;
  std::fill(records_.begin(), records_.end(), TaskRecord{});
  std::fill(time_of_validity_.begin(), time_of_validity_.end(), new_time);
  for (auto& text : text_logs_) text.clear();
  if (keyframe_) {
    for (auto& state : frozen_) state.clear();
    keyframe_ = false;
  }
}

CopperListPool::CopperListPool(const Graph& graph, size_t capacity) {
  lists_.reserve(capacity);
  for (size_t i = 0; i < std::max<size_t>(capacity, 1); ++i) lists_.push_back(std::make_unique<CopperList>(graph));
  if (std::has_single_bit(lists_.size())) mask_ = lists_.size() - 1;
}

}  // namespace copper
