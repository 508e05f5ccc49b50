// Which tasks and slots of a log a subcommand looks at, with each slot's
// compiled decoder: built once per run, so that decoding a message never
// touches the schema JSON again (export, diff and trace share it).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "copper/log/reader.hpp"
#include "copper/message_schema.hpp"
#include "session.hpp"

namespace copper::logtool {

struct SelectedSlot {
  size_t index = 0;      // slot index in the log
  std::string producer;  // its producer's task id: the key in exports
  Result<MessageDecoder> decoder = Status::error("no schema");
  nlohmann::json schema;  // null when the metadata has none
};

struct Selection {
  std::vector<std::string> task_ids;  // all tasks of the log, by index
  std::vector<size_t> tasks;          // selected task indexes, increasing
  std::vector<SelectedSlot> slots;    // the selected tasks' output slots, by slot index
};

// `wanted` is a list of task ids (empty: all); an unknown id is an error.
Result<Selection> select(const log::LogReader& reader, const std::vector<std::string>& wanted);

// One slot of a copperlist as {"time_of_validity_ns", "message"}, or
// {"time_of_validity_ns", "error", "size"} when it does not decode.
nlohmann::json slot_json(const SelectedSlot& slot, const log::SlotData& data, BytesAs bytes_as, bool& decode_error);


}  // namespace copper::logtool
