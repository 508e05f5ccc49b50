#include "compare.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "copper/message.hpp"
#include "../xxhash_dispatch.hpp"
#include "schema_change.hpp"

namespace copper::replay {

Comparer::Comparer(const Graph& graph, const RecordedFrames& frames, std::vector<nlohmann::json> schemas,
                   uint64_t compare_from, ReplayOutcome& outcome)
    : graph_(graph),
      frames_(frames),
      schemas_(std::move(schemas)),
      from_source_(graph.slots().size(), false),
      compare_from_(compare_from),
      outcome_(outcome),
      task_diverged_(graph.tasks().size(), false) {
  for (size_t slot = 0; slot < graph.slots().size(); ++slot)
    from_source_[slot] = graph.tasks()[graph.slots()[slot].producer].type->kind == TaskKind::source;
  outcome_.timing.tasks.resize(graph.tasks().size());
}

namespace {

// A changed message type is compared through the fields both schemas
// share, as JSON: slower than the byte check, and only for such slots.
SlotCheck check_shared_fields(const SlotMigration& migration, const void* output, std::span<const uint8_t> recorded) {
  const nlohmann::json replayed = migration.current_shared(output);
  auto was = migration.recorded_shared(recorded);
  if (was && *was == replayed) return SlotCheck{0, true};
  const std::string text = replayed.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return SlotCheck{detail::xxh3(text.data(), text.size()), false};
}

}  // namespace

Status CheckedTask::run(const Context& ctx, const void* const* inputs, void* output) {
  frames_.at(ctx.cl_id()).outputs[slot_] = output;
  return task_->run(ctx, inputs, output);
}

// Matching the recording is checked without encoding (the common case);
// only a diverging output is encoded, to hash it.
Status CheckedTask::postprocess(const Context& ctx) {
  RecordedFrame& frame = frames_.at(ctx.cl_id());
  const void* output = frame.outputs[slot_];
  SlotCheck& check = frame.checks[slot_];
  if (frame.tasks[ctx.task_index()].status != TaskStatus::ok) {
    // Not finished in the recording (the copperlist it failed on): nothing
    // recorded to compare with.
    check = SlotCheck{0, true};
    return task_->postprocess(ctx);
  }
  if (const SlotMigration* migration = frames_.migration(slot_)) {
    check = check_shared_fields(*migration, output, frame.recorded[slot_]);
    return task_->postprocess(ctx);
  }
  check = SlotCheck{0, type_.matches_encoding(output, frame.recorded[slot_])};
  if (!check.matches) {
    std::vector<uint8_t>& encoding = frame.encodings[slot_];
    encoding.clear();
    type_.encode(output, encoding);
    check.hash = detail::xxh3(encoding.data(), encoding.size());
  }
  return task_->postprocess(ctx);
}

void bind_to_frames(Graph& graph, RecordedFrames& frames) {
  for (TaskNode& node : graph.tasks()) {
    if (node.output_slot == kNoSlot) continue;
    const MessageType& type = *graph.slots()[node.output_slot].type;
    if (auto* source = dynamic_cast<RecordedSource*>(node.impl.get()))
      source->bind(&frames, node.output_slot, &type);
    else
      node.impl = std::make_unique<CheckedTask>(std::move(node.impl), frames, node.output_slot, type);
  }
}

Status Comparer::commit(const CopperList& cl) {
  const bool compared = cl.id >= compare_from_;
  std::fill(task_diverged_.begin(), task_diverged_.end(), false);
  const RecordedFrame& frame = frames_.at(cl.id);
  XXH64_hash_t cl_hash = cl.id;
  bool diverged = false;
  for (uint32_t slot = 0; slot < cl.slot_count(); ++slot) {
    const SlotCheck& check = frame.checks[slot];
    const uint64_t identity[2] = {check.hash, check.matches};
    cl_hash = detail::xxh3(identity, sizeof(identity), cl_hash);
    if (!compared || from_source_[slot] || check.matches) continue;
    diverged = true;
    task_diverged_[graph_.slots()[slot].producer] = true;
    if (!outcome_.first_divergence) describe_first(cl, slot);
  }
  outcome_.output_hashes.push_back(cl_hash);
  ++outcome_.replayed;
  if (compared) ++outcome_.compared;
  if (diverged) {
    ++outcome_.diverged_cls;
    for (size_t task = 0; task < task_diverged_.size(); ++task)
      if (task_diverged_[task]) ++outcome_.diverged_per_task[graph_.tasks()[task].id];
  }
  add_timing(outcome_.timing, cl.task_count(), [&](size_t task) {
    const TaskRecord& record = cl.record(static_cast<uint32_t>(task));
    return TaskSpan{record.start, record.end, record.status == TaskStatus::ok};
  });
  return {};
}

void Comparer::describe_first(const CopperList& cl, uint32_t slot) {
  Divergence divergence;
  divergence.cl_id = cl.id;
  divergence.task_id = graph_.tasks()[graph_.slots()[slot].producer].id;
  const SlotMigration* migration = frames_.migration(slot);
  const nlohmann::json replayed = migration ? migration->current_shared(cl.message(slot))
                                            : cl.message_type(slot).to_json(cl.message(slot));
  auto recorded = migration ? migration->recorded_shared(frames_.at(cl.id).recorded[slot])
                            : decode_to_json(frames_.at(cl.id).recorded[slot], schemas_[slot]);
  if (!recorded) {
    divergence.recorded = fmt::format("(undecodable: {})", recorded.error_message());
    divergence.replayed = replayed;
  } else if (JsonDifferences differences = json_differences(*recorded, replayed, Divergence::kFieldLimit);
             !differences.first.empty()) {
    divergence.field_path = differences.first.front().path;
    divergence.recorded = differences.first.front().left;
    divergence.replayed = differences.first.front().right;
    divergence.fields = std::move(differences.first);
    divergence.field_count = differences.total;
  } else {
    // Equal values, different bytes: e.g. -0.0 against 0.0, or NaN payloads.
    divergence.recorded = *recorded;
    divergence.replayed = replayed;
  }
  outcome_.first_divergence = std::move(divergence);
}

}  // namespace copper::replay
