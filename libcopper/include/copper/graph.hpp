// A validated, planned task graph: built once from a Config, then executed
// cycle after cycle.
//
// Building resolves everything the per-cycle path would otherwise have to
// look up: task types, one message slot per output, each input as a slot
// index, producers and consumers as task indexes, a topological order. It
// also constructs every task, so parameter errors surface here, before
// anything runs.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "copper/export.hpp"
#include "copper/config.hpp"
#include "copper/registry.hpp"

namespace copper {

inline constexpr uint32_t kNoSlot = UINT32_MAX;

struct TaskNode {
  uint32_t index = 0;               // position in the config's task list
  std::string id;
  const TaskType* type = nullptr;
  std::unique_ptr<TaskBase> impl;
  std::vector<uint32_t> input_slots;  // one per input, in the task's input order
  uint32_t output_slot = kNoSlot;     // kNoSlot for sinks
  std::vector<uint32_t> producers;    // distinct task indexes feeding the inputs
  std::vector<uint32_t> consumers;    // distinct task indexes reading the output

  bool stateless() const { return type->stateless; }
};

struct SlotInfo {
  uint32_t producer = 0;  // task index
  const MessageType* type = nullptr;
};

class COPPER_API Graph {
 public:
  // Returns nullopt exactly when `diags` holds an error; warnings (an output
  // nobody reads) may be added either way.
  static std::optional<Graph> build(const Config& config, const Registry& registry, Diagnostics& diags);

  const Config& config() const { return config_; }
  std::vector<TaskNode>& tasks() { return tasks_; }
  const std::vector<TaskNode>& tasks() const { return tasks_; }
  const std::vector<SlotInfo>& slots() const { return slots_; }
  // Task indexes such that every producer precedes its consumers; ties keep
  // the config's order so plans are reproducible.
  const std::vector<uint32_t>& order() const { return order_; }
  const TaskNode* find(std::string_view id) const;

 private:
  Config config_;
  std::vector<TaskNode> tasks_;
  std::vector<SlotInfo> slots_;
  std::vector<uint32_t> order_;
};

}  // namespace copper
