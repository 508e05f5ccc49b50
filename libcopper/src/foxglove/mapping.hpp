// How copper messages look to Foxglove: the JSON Schema of a copper message
// schema, and the "well-known" views (foxglove.RawImage, LaserScan,
// PoseInFrame, ...) a message type can be shown as.
//
// Both viewers of copper data use this one module: the MCAP export
// (copper-log export --format mcap) and the live WebSocket server
// (copper-record --serve). Neither knows the application's C++ types: every
// function here works from the log's metadata and from messages as the
// generic decoder renders them (MessageDecoder with BytesAs::base64).
//
// Where a mapping comes from, first match wins:
//   1. a JSON mapping file given to the tool (logs recorded before their
//      task library declared mappings, or to override one);
//   2. the log's metadata, "foxglove" (recorded from the declarations the
//      task library made next to its message types; see
//      copper/foxglove.hpp).
// The JSON form of a mapping, in both places, is documented in
// docs/foxglove.md.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "copper/log/format.hpp"
#include "copper/status.hpp"

namespace copper::foxglove {

// The JSON Schema (for Foxglove's "jsonschema" channels; only keywords
// draft-07 and draft 2020-12 read alike, and no "$schema") of messages of a
// copper message schema (copper/message_schema.hpp) as MessageDecoder
// renders them with BytesAs::base64: "integer" (with the type's bounds up
// to 32 bits; 64-bit ones unbounded) / ["number", "null"] (NaN and
// infinities render as null) / "boolean" / "string"; vectors as arrays;
// fixed arrays as arrays with minItems = maxItems; structs as objects
// titled with their type name, every field required and no others; byte
// runs (vector/array of u8) as strings with "contentEncoding": "base64".
// `message_schema` must be valid (validate_schema).
nlohmann::json json_schema_of(const nlohmann::json& message_schema);

// One Foxglove well-known schema by name ("foxglove.RawImage"), as the JSON
// Schema copper writes for it; nullptr for a name copper does not map onto.
const nlohmann::json* well_known_json_schema(std::string_view schema_name);

// A message type shown as one Foxglove well-known schema.
class Mapping {
 public:
  // From the JSON form (docs/foxglove.md). `where` prefixes errors, as a
  // JSON path ("mapping file foo.json at /rover::Image/fields/width").
  // `mapping` is the one-entry object {"rover::Image": {...}}.
  static Result<Mapping> parse(const nlohmann::json& mapping, const std::string& where);
  // The same for one entry of a file or of the log's metadata: `form` is
  // the object under the message type, found at JSON pointer `pointer` of
  // the document `where` names.
  static Result<Mapping> parse_entry(const std::string& message_type, const nlohmann::json& form,
                                     const std::string& where, const std::string& pointer);

  // The views of one message type: its entry in a file or in the log's
  // metadata is one mapping (an object) or several (an array of them, e.g.
  // a pose shown as foxglove.PoseInFrame and as the foxglove.FrameTransform
  // that places its frame in the room). Views of one type need distinct
  // topic suffixes: each is a channel of its own.
  static Result<std::vector<Mapping>> parse_views(const std::string& message_type, const nlohmann::json& form,
                                                  const std::string& where, const std::string& pointer);

  const std::string& message_type() const;  // "rover::Image"
  const std::string& schema_name() const;   // "foxglove.RawImage"
  // The well-known topic beside the plain one: "/<task id>" + topic_suffix()
  // (e.g. "/camera/image"); docs/foxglove.md says which channels are written.
  const std::string& topic_suffix() const;

  // Checks the mapping against the message schema of the slot it will
  // convert (fields exist, with usable types); the error names both.
  Status check_against(const nlohmann::json& message_schema) const;

  // The well-known message for one decoded message (BytesAs::base64), whose
  // time of validity is `time_ns`. Fails (invalid_argument) when this
  // message cannot be shown (e.g. data shorter than height * step); the
  // caller counts and reports it, and goes on. Const: copies of a Mapping
  // share their parsed form, and may convert on several threads at once.
  Result<nlohmann::json> convert(const nlohmann::json& message, int64_t time_ns) const;
  // The same, moving byte runs (base64 images) out of `message` instead of
  // copying them; `message` is left valid but unspecified.
  Result<nlohmann::json> convert(nlohmann::json&& message, int64_t time_ns) const;

  // The JSON form, as parsed: the object under the message type.
  const nlohmann::json& to_json() const;

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;
};

// The mappings that apply to one log: from its metadata, overridden per
// message type by a mapping file (path empty: none). A bad file or bad
// recorded mapping is an error naming its JSON path.
class MappingSet {
 public:
  static Result<MappingSet> load(const nlohmann::json& log_metadata, const std::string& mapping_file);

  // The views of a message type, in the order given; empty for none.
  std::vector<const Mapping*> views_of(std::string_view message_type) const;
  const std::vector<Mapping>& all() const { return mappings_; }

 private:
  std::vector<Mapping> mappings_;
};

// A log's well-known channels: one per view of each slot's message type in
// `mappings`, in slot order (a slot's views in their given order), each
// mapping checked against the slot's schema; topic "/<producer task id>" +
// topic_suffix. A mapping that
// does not fit its slot is an error naming its JSON path (the tool stops
// before writing anything). `log_metadata` is the log's metadata.
struct WellKnownChannel {
  uint32_t slot = 0;
  std::string topic;                 // "/camera/image"
  const Mapping* mapping = nullptr;  // into `mappings`, which must outlive it
};
Result<std::vector<WellKnownChannel>> well_known_channels(const MappingSet& mappings,
                                                          const nlohmann::json& log_metadata);

// Text logs and lifecycle events as foxglove.Log messages (topic
// "/copper/log"): level mapped onto Foxglove's (DEBUG=1 ... FATAL=5),
// `name` the task id (or "copper" for the runtime's own events), file and
// line where known, timestamp from `time_ns`.
struct LogLine {
  int64_t time_ns = 0;
  uint8_t level = 2;  // Foxglove's LogLevel: 1 DEBUG, 2 INFO, 3 WARNING, 4 ERROR, 5 FATAL
  std::string name;
  std::string message;
  std::string file;
  uint32_t line = 0;
};
nlohmann::json log_message(const LogLine& line);

// Foxglove's LogLevel for a copper text level: trace and debug are both
// DEBUG (1), info 2, warn 3, error 4.
uint8_t log_level(log::TextLevel level);

// {"sec": s, "nsec": n} for a time in nanoseconds (negative times floor).
nlohmann::json timestamp(int64_t time_ns);

}  // namespace copper::foxglove
