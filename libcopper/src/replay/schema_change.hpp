// Replaying a log whose message types have changed since the recording
// (copper-replay --allow-schema-change).
//
// The rule: two schemas share a field when it has the same name and the
// same type at the same place (inside a nested struct present on both
// sides, fields are matched again by name). Only shared fields are
// compared; a recorded source's message is rebuilt from its shared fields,
// every other field keeping its default value. Fields added, removed or
// retyped are listed, and left out of the comparison.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "copper/message.hpp"
#include "copper/message_schema.hpp"
#include "copper/status.hpp"

namespace copper::replay {

// What differs between a recorded schema and the current one.
struct SchemaDifference {
  std::vector<std::string> added;    // "battery.temperature (f32)"
  std::vector<std::string> removed;  // "voltage (f64)"
  std::vector<std::string> retyped;  // "current (i32 -> f64)"
  size_t shared = 0;                 // leaf fields both have

  // "field battery.temperature added (f32); field voltage removed (f64)"
  std::string describe() const;
};

SchemaDifference diff_schemas(const nlohmann::json& recorded, const nlohmann::json& current);

// `value` (a message as JSON, of either schema) with only the fields both
// schemas share.
nlohmann::json shared_fields(const nlohmann::json& value, const nlohmann::json& recorded, const nlohmann::json& current);

// One slot whose message type changed: how to read its recorded bytes and
// compare or rebuild its messages through the shared fields. Thread-safe
// (const), for the workers of a parallel replay.
class SlotMigration {
 public:
  static Result<SlotMigration> make(const nlohmann::json& recorded_schema, const MessageType& current);

  // The recorded message's shared fields, as JSON.
  Result<nlohmann::json> recorded_shared(std::span<const uint8_t> bytes) const;
  // The current message's shared fields, as JSON.
  nlohmann::json current_shared(const void* message) const;
  // Fills `message` (of the current type) from recorded bytes: shared fields
  // as recorded, the others at their defaults.
  Status rebuild(std::span<const uint8_t> bytes, void* message) const;

 private:
  SlotMigration(nlohmann::json recorded_schema, const MessageType& current, MessageDecoder decoder);

  nlohmann::json recorded_schema_;
  const MessageType* current_;
  MessageDecoder decoder_;
  nlohmann::json defaults_;  // a default message of the current type, as JSON
};

}  // namespace copper::replay
