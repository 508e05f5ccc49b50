// What the live view advertises and how a copperlist becomes messages on
// it: one channel per task output ("/<task id>", the slot's JSON Schema),
// one per well-known mapping of a slot ("/<task id>" + suffix, the
// foxglove schema), and "/copper/log" (foxglove.Log) for the text logs.
// The same schemas and mappings as the MCAP export (foxglove/mapping.hpp);
// every payload is JSON (encoding "json", schemaEncoding "jsonschema").
// Runs on the server thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "copper/message_schema.hpp"
#include "copper/status.hpp"
#include "foxglove/mapping.hpp"
#include "live/feed.hpp"

namespace copper::live {

struct Channel {
  enum class Kind { slot, well_known, log };
  uint32_t id = 0;
  Kind kind = Kind::slot;
  std::string topic;
  std::string schema_name;
  std::string schema;                          // JSON Schema text
  uint32_t slot = 0;                           // slot and well_known
  const foxglove::Mapping* mapping = nullptr;  // well_known
};

class ChannelSet {
 public:
  // From a log's metadata ("tasks", "slots", and "foxglove" mappings).
  static Result<std::unique_ptr<ChannelSet>> build(const nlohmann::json& metadata);
  ChannelSet(const ChannelSet&) = delete;
  ChannelSet& operator=(const ChannelSet&) = delete;

  const std::vector<Channel>& all() const { return channels_; }
  const Channel* find(uint32_t id) const { return id < channels_.size() ? &channels_[id] : nullptr; }
  // The advertise operation for every channel.
  std::string advertise() const;

  // Appends the payloads channel `c` carries for one copperlist: none when
  // its slot is absent from the frame, one per text entry on the log
  // channel. A message that cannot be decoded or converted is counted in
  // `failures` and skipped.
  void render(const Channel& c, const FrameView& frame, std::vector<std::string>& out, uint64_t& failures) const;

 private:
  ChannelSet() = default;
  void add(Channel::Kind kind, std::string topic, std::string schema_name, const nlohmann::json& schema, uint32_t slot,
           const foxglove::Mapping* mapping);
  void render_log(const FrameView& frame, std::vector<std::string>& out, uint64_t& failures) const;

  foxglove::MappingSet mappings_;
  std::vector<MessageDecoder> decoders_;  // per slot
  std::vector<std::string> task_ids_;     // per task index
  std::vector<Channel> channels_;         // channel id = index
};

}  // namespace copper::live
