#include "selection.hpp"

#include <algorithm>

namespace copper::logtool {

Result<Selection> select(const log::LogReader& reader, const std::vector<std::string>& wanted) {
  Selection selection;
  selection.task_ids = task_ids(reader);
  auto tasks = select_tasks(selection.task_ids, wanted);
  if (!tasks) return tasks.status();
  selection.tasks = std::move(*tasks);
  const std::vector<std::string> producers = slot_producers(reader);
  const nlohmann::json& metadata = reader.metadata();
  for (size_t slot = 0; slot < producers.size(); ++slot) {
    const auto task = std::find(selection.task_ids.begin(), selection.task_ids.end(), producers[slot]);
    const size_t task_index = static_cast<size_t>(task - selection.task_ids.begin());
    if (!std::binary_search(selection.tasks.begin(), selection.tasks.end(), task_index)) continue;
    SelectedSlot selected{slot, producers[slot], reader.slot_decoder(slot), nullptr};
    const auto& entry = metadata["slots"][slot];
    if (entry.is_object() && entry.contains("schema")) selected.schema = entry["schema"];
    selection.slots.push_back(std::move(selected));
  }
  return selection;
}

nlohmann::json slot_json(const SelectedSlot& slot, const log::SlotData& data, BytesAs bytes_as, bool& decode_error) {
  nlohmann::json out = nlohmann::json::object();
  out["time_of_validity_ns"] = data.time_of_validity_ns;
  auto decoded =
      slot.decoder ? slot.decoder->decode(data.bytes, bytes_as) : Result<nlohmann::json>(slot.decoder.status());
  decode_error = !decoded.ok();
  if (decoded) {
    out["message"] = std::move(*decoded);
  } else {
    out["error"] = std::string(decoded.error_message());
    out["size"] = data.bytes.size();
  }
  return out;
}

}  // namespace copper::logtool
