#include "copper/graph.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <queue>

#include "copper/plugin.hpp"
#include "text_util.hpp"

namespace copper {

namespace {

std::string task_path(size_t index) { return fmt::format("tasks[{}]", index); }

// What to do about an unknown task type: where task types come from.
std::string unknown_type_hint() {
  std::string loaded;
  for (const LoadedPlugin* plugin : loaded_plugins())
    loaded += fmt::format("{}{} ({})", loaded.empty() ? "" : ", ", plugin->name, plugin->path.string());
  return fmt::format(
      "plugins loaded: {}. Load the task library that defines it with --plugin PATH or \"plugins\": [...] in the "
      "config, or, in a program of your own, link the task library whole (meson link_whole, CMake "
      "$<LINK_LIBRARY:WHOLE_ARCHIVE,...>)",
      loaded.empty() ? "none" : loaded);
}
std::string connection_path(size_t index) { return fmt::format("connections[{}]", index); }

// The state of one build, so each step stays a short function.
class GraphBuilder {
 public:
  GraphBuilder(const Config& config, const Registry& registry, Diagnostics& diags)
      : config_(config), registry_(registry), diags_(diags) {}

  void resolve_types(std::vector<TaskNode>& tasks);
  void wire(std::vector<TaskNode>& tasks, std::vector<SlotInfo>& slots);
  std::vector<uint32_t> plan_order(const std::vector<TaskNode>& tasks);
  void construct(std::vector<TaskNode>& tasks);

 private:
  std::optional<size_t> choose_input(size_t conn_index, const TaskNode& from, const TaskNode& to);
  void connect(size_t conn_index, TaskNode& from, TaskNode& to, std::vector<SlotInfo>& slots);
  void report_cycle(const std::vector<TaskNode>& tasks, const std::vector<uint32_t>& indegree);

  const Config& config_;
  const Registry& registry_;
  Diagnostics& diags_;
  std::map<std::string, uint32_t, std::less<>> index_of_;
  // Per task, per input: which connection feeds it (SIZE_MAX: none yet).
  std::vector<std::vector<size_t>> fed_by_;
};

void GraphBuilder::resolve_types(std::vector<TaskNode>& tasks) {
  for (size_t i = 0; i < config_.tasks.size(); ++i) {
    const TaskConfig& task = config_.tasks[i];
    TaskNode node;
    node.index = static_cast<uint32_t>(i);
    node.id = task.id;
    node.type = registry_.find(task.type);
    if (node.type == nullptr) {
      diags_.error(task_path(i) + ".type",
                   fmt::format("unknown task type \"{}\" (known types: {}); {}", task.type,
                               registry_.names().empty() ? std::string("none") : detail::join(registry_.names(), ", "),
                               unknown_type_hint()));
    }
    index_of_.emplace(task.id, node.index);
    fed_by_.emplace_back(node.type ? node.type->inputs.size() : 0, SIZE_MAX);
    tasks.push_back(std::move(node));
  }
}

std::optional<size_t> GraphBuilder::choose_input(size_t conn_index, const TaskNode& from, const TaskNode& to) {
  const ConnectionConfig& conn = config_.connections[conn_index];
  const auto& names = to.type->input_names;
  const std::string where = connection_path(conn_index);
  if (!conn.input.empty()) {
    for (size_t i = 0; i < names.size(); ++i)
      if (names[i] == conn.input) return i;
    size_t numeric = 0;
    auto [end, ec] = std::from_chars(conn.input.data(), conn.input.data() + conn.input.size(), numeric);
    if (ec == std::errc() && end == conn.input.data() + conn.input.size() && numeric < names.size()) return numeric;
    diags_.error(where + ".input", fmt::format("task \"{}\" ({}) has no input \"{}\" (inputs: {})", to.id,
                                               to.type->name, conn.input, detail::join(names, ", ")));
    return std::nullopt;
  }
  std::vector<size_t> candidates;
  for (size_t i = 0; i < names.size(); ++i)
    if (to.type->inputs[i]->name == from.type->output->name && fed_by_[to.index][i] == SIZE_MAX)
      candidates.push_back(i);
  if (candidates.size() == 1) return candidates.front();
  if (candidates.size() > 1) {
    diags_.error(where, fmt::format("task \"{}\" has several free inputs of type {}; name one with \"input\"",
                                    to.id, from.type->output->name));
    return std::nullopt;
  }
  std::vector<std::string> accepted;
  for (size_t i = 0; i < names.size(); ++i) accepted.push_back(names[i] + ": " + to.type->inputs[i]->name);
  diags_.error(where, fmt::format("type mismatch: \"{}\" outputs {} but no free input of \"{}\" takes it ({})",
                                  from.id, from.type->output->name, to.id, detail::join(accepted, ", ")));
  return std::nullopt;
}

void GraphBuilder::connect(size_t conn_index, TaskNode& from, TaskNode& to, std::vector<SlotInfo>& slots) {
  const ConnectionConfig& conn = config_.connections[conn_index];
  const std::string where = connection_path(conn_index);
  if (from.type->output == nullptr)
    return diags_.error(where + ".from", fmt::format("task \"{}\" is a sink and has no output", from.id));
  if (to.type->inputs.empty())
    return diags_.error(where + ".to", fmt::format("task \"{}\" is a source and has no inputs", to.id));
  if (!conn.msg.empty() && conn.msg != from.type->output->name)
    diags_.error(where + ".msg", fmt::format("says {} but \"{}\" outputs {}", conn.msg, from.id,
                                             from.type->output->name));
  const auto input = choose_input(conn_index, from, to);
  if (!input) return;
  const MessageType* expected = to.type->inputs[*input];
  if (expected->name != from.type->output->name || expected->schema_hash != from.type->output->schema_hash)
    return diags_.error(where, fmt::format("type mismatch: \"{}\" outputs {} but input \"{}\" of \"{}\" takes {}",
                                           from.id, from.type->output->name, to.type->input_names[*input], to.id,
                                           expected->name));
  size_t& feeder = fed_by_[to.index][*input];
  if (feeder != SIZE_MAX)
    return diags_.error(where, fmt::format("input \"{}\" of \"{}\" is already connected by {}",
                                           to.type->input_names[*input], to.id, connection_path(feeder)));
  feeder = conn_index;
  if (from.output_slot == kNoSlot) {
    from.output_slot = static_cast<uint32_t>(slots.size());
    slots.push_back({from.index, from.type->output});
  }
  to.input_slots[*input] = from.output_slot;
  auto add_unique = [](std::vector<uint32_t>& list, uint32_t value) {
    if (std::find(list.begin(), list.end(), value) == list.end()) list.push_back(value);
  };
  add_unique(to.producers, from.index);
  add_unique(from.consumers, to.index);
}

void GraphBuilder::wire(std::vector<TaskNode>& tasks, std::vector<SlotInfo>& slots) {
  for (auto& task : tasks)
    if (task.type) task.input_slots.assign(task.type->inputs.size(), kNoSlot);
  for (size_t c = 0; c < config_.connections.size(); ++c) {
    const auto& conn = config_.connections[c];
    auto from = index_of_.find(conn.from);
    auto to = index_of_.find(conn.to);
    if (from == index_of_.end() || to == index_of_.end()) continue;  // reported by parse_config
    TaskNode& producer = tasks[from->second];
    TaskNode& consumer = tasks[to->second];
    if (producer.type && consumer.type) connect(c, producer, consumer, slots);
  }
  for (auto& task : tasks) {
    if (!task.type) continue;
    for (size_t i = 0; i < task.input_slots.size(); ++i)
      if (fed_by_[task.index][i] == SIZE_MAX)
        diags_.error(task_path(task.index), fmt::format("input \"{}\" ({}) of task \"{}\" is not connected",
                                                        task.type->input_names[i], task.type->inputs[i]->name,
                                                        task.id));
    if (task.type->output && task.consumers.empty()) {
      diags_.warning(task_path(task.index), fmt::format("the output of \"{}\" ({}) is not read by any task",
                                                        task.id, task.type->output->name));
      // It still gets a slot: the output is recorded even if no task reads it.
      task.output_slot = static_cast<uint32_t>(slots.size());
      slots.push_back({task.index, task.type->output});
    }
  }
}

// Kahn's algorithm, always taking the lowest ready index for a stable order.
std::vector<uint32_t> GraphBuilder::plan_order(const std::vector<TaskNode>& tasks) {
  std::vector<uint32_t> indegree(tasks.size(), 0);
  for (const auto& task : tasks) indegree[task.index] = static_cast<uint32_t>(task.producers.size());
  std::priority_queue<uint32_t, std::vector<uint32_t>, std::greater<>> ready;
  for (const auto& task : tasks)
    if (indegree[task.index] == 0) ready.push(task.index);
  std::vector<uint32_t> order;
  while (!ready.empty()) {
    const uint32_t next = ready.top();
    ready.pop();
    order.push_back(next);
    for (uint32_t consumer : tasks[next].consumers)
      if (--indegree[consumer] == 0) ready.push(consumer);
  }
  if (order.size() != tasks.size()) report_cycle(tasks, indegree);
  return order;
}

// Walks backwards from a task left with unmet inputs until a task repeats:
// the repeated stretch is a cycle, which the message spells out.
void GraphBuilder::report_cycle(const std::vector<TaskNode>& tasks, const std::vector<uint32_t>& indegree) {
  uint32_t current = 0;
  while (indegree[current] == 0) ++current;
  std::vector<uint32_t> walk;
  std::vector<int> seen_at(tasks.size(), -1);
  while (seen_at[current] < 0) {
    seen_at[current] = static_cast<int>(walk.size());
    walk.push_back(current);
    for (uint32_t producer : tasks[current].producers)
      if (indegree[producer] != 0) {
        current = producer;
        break;
      }
  }
  std::vector<std::string> ids;
  for (size_t i = walk.size(); i-- > static_cast<size_t>(seen_at[current]);) ids.push_back(tasks[walk[i]].id);
  ids.push_back(tasks[current].id);
  diags_.error("connections", fmt::format("cycle in the graph: {}", detail::join(ids, " -> ")));
}

void GraphBuilder::construct(std::vector<TaskNode>& tasks) {
  for (auto& task : tasks) {
    const std::string path = task_path(task.index);
    try {
      Params params(config_.tasks[task.index].params, path + ".params");
      task.impl = task.type->create(params);
      for (const auto& key : params.unread_keys())
        diags_.error(path + ".params." + key, fmt::format("unknown parameter for {}", task.type->name));
    } catch (const ParamError& error) {
      diags_.error(error.path(), std::string(error.what()).substr(error.path().size() + 2));
    } catch (const std::exception& error) {
      diags_.error(path, fmt::format("task \"{}\" failed to construct: {}", task.id, error.what()));
    }
  }
}

}  // namespace

std::optional<Graph> Graph::build(const Config& config, const Registry& registry, Diagnostics& diags) {
  Graph graph;
  graph.config_ = config;
  GraphBuilder builder(graph.config_, registry, diags);
  builder.resolve_types(graph.tasks_);
  if (diags.has_errors()) return std::nullopt;
  builder.wire(graph.tasks_, graph.slots_);
  if (diags.has_errors()) return std::nullopt;
  graph.order_ = builder.plan_order(graph.tasks_);
  if (diags.has_errors()) return std::nullopt;
  builder.construct(graph.tasks_);
  if (diags.has_errors()) return std::nullopt;
  return graph;
}

const TaskNode* Graph::find(std::string_view id) const {
  for (const auto& task : tasks_)
    if (task.id == id) return &task;
  return nullptr;
}

}  // namespace copper
