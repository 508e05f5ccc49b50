#include "live/channels.hpp"

#include <fmt/format.h>

#include "copper/log/text_format.hpp"
#include "copper/text_log.hpp"
#include "log/record_parse.hpp"

namespace copper::live {

using nlohmann::json;

namespace {

constexpr const char* kLogTopic = "/copper/log";
constexpr const char* kLogSchema = "foxglove.Log";

std::string dump(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace

// Each slot's own channel, then its well-known view if it has one (in the
// order foxglove::well_known_channels gives them: slot order), then the log.
Result<std::unique_ptr<ChannelSet>> ChannelSet::build(const json& metadata) {
  std::unique_ptr<ChannelSet> set(new ChannelSet());
  auto mappings = foxglove::MappingSet::load(metadata, "");
  if (!mappings.ok()) return mappings.status();
  set->mappings_ = std::move(mappings.value());
  auto views = foxglove::well_known_channels(set->mappings_, metadata);
  if (!views.ok()) return views.status();
  for (const json& task : metadata.value("tasks", json::array())) set->task_ids_.push_back(task.value("id", ""));
  const json slots = metadata.value("slots", json::array());
  auto view = views->begin();
  for (uint32_t s = 0; s < slots.size(); ++s) {
    const json& slot = slots[s];
    auto decoder = MessageDecoder::compile(slot.at("schema"));
    if (!decoder.ok()) return Status::invalid_argument(fmt::format("slot {}: {}", s, decoder.error_message()));
    set->decoders_.push_back(std::move(decoder.value()));
    set->add(Channel::Kind::slot, fmt::format("/{}", slot.value("producer", "")), slot.value("type", ""),
             foxglove::json_schema_of(slot.at("schema")), s, nullptr);
    for (; view != views->end() && view->slot == s; ++view)
      if (const json* known = foxglove::well_known_json_schema(view->mapping->schema_name()))
        set->add(Channel::Kind::well_known, view->topic, view->mapping->schema_name(), *known, s, view->mapping);
  }
  if (const json* log_schema = foxglove::well_known_json_schema(kLogSchema))
    set->add(Channel::Kind::log, kLogTopic, kLogSchema, *log_schema, 0, nullptr);
  return set;
}

void ChannelSet::add(Channel::Kind kind, std::string topic, std::string schema_name, const json& schema, uint32_t slot,
                     const foxglove::Mapping* mapping) {
  channels_.push_back({static_cast<uint32_t>(channels_.size()), kind, std::move(topic), std::move(schema_name),
                       dump(schema), slot, mapping});
}

std::string ChannelSet::advertise() const {
  json channels = json::array();
  for (const Channel& c : channels_)
    channels.push_back({{"id", c.id},
                        {"topic", c.topic},
                        {"encoding", "json"},
                        {"schemaName", c.schema_name},
                        {"schema", c.schema},
                        {"schemaEncoding", "jsonschema"}});
  return dump({{"op", "advertise"}, {"channels", std::move(channels)}});
}

void ChannelSet::render(const Channel& c, const FrameView& frame, std::vector<std::string>& out,
                        uint64_t& failures) const {
  if (c.kind == Channel::Kind::log) return render_log(frame, out, failures);
  if (c.slot >= frame.slots.size() || !frame.slots[c.slot].present) return;
  const FrameView::Slot& slot = frame.slots[c.slot];
  if (c.kind == Channel::Kind::slot) {
    // The text straight from the bytes: no JSON object to build and dump.
    std::string text;
    if (!decoders_[c.slot].append_json(slot.bytes, BytesAs::base64, text).ok()) {
      ++failures;
      return;
    }
    out.push_back(std::move(text));
    return;
  }
  auto message = decoders_[c.slot].decode(slot.bytes, BytesAs::base64);
  if (!message.ok()) {
    ++failures;
    return;
  }
  auto converted = c.mapping->convert(std::move(*message), slot.time_of_validity);
  if (!converted.ok()) {
    ++failures;
    return;
  }
  out.push_back(dump(*converted));
}

// The entries name strings of the process-wide table (text_log.hpp), which
// this process registered before committing them.
void ChannelSet::render_log(const FrameView& frame, std::vector<std::string>& out, uint64_t& failures) const {
  if (frame.text.size() <= sizeof(uint32_t)) return;
  std::vector<log::TextEntry> entries;
  if (!log::detail::parse_text(frame.text, entries).ok()) {
    ++failures;
    return;
  }
  const size_t strings = text_string_count();
  for (const log::TextEntry& entry : entries) {
    if (entry.string_id >= strings) {
      ++failures;
      continue;
    }
    const TextString& string = text_string(entry.string_id);
    auto text = log::format_text(string.format, entry.arg_count, entry.args);
    foxglove::LogLine line;
    line.time_ns = frame.time;
    line.level = foxglove::log_level(entry.level);
    line.name = entry.task_index < task_ids_.size() ? task_ids_[entry.task_index] : "copper";
    line.message = text.ok() ? std::move(text.value()) : std::string(text.error_message());
    line.file = std::string(string.file);
    line.line = string.line;
    out.push_back(dump(foxglove::log_message(line)));
  }
}

}  // namespace copper::live
