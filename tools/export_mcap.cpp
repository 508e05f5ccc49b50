// copper-log export --format mcap: a log as an MCAP file that Foxglove and
// every MCAP reader open (docs/mcap-export.md says what goes where).
//
// Channels: per selected task output "/<task id>" (JSON Schema of the
// slot's message schema, bodies as the JSON export's "message"); beside it,
// or instead of it for images and scans (--views), "/<task id><suffix>" in
// a Foxglove well-known schema for each view a mapping gives (images and
// scans in protobuf: foxglove/protobuf.hpp); "/copper/timing", one message
// per copperlist with every selected task's process span; "/copper/log",
// the text logs and the run's lifecycle events as foxglove.Log. log_time is the copperlist's time,
// publish_time the message's time of validity.
#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <optional>
#include <ostream>

#include "copper/log/format.hpp"
#include "export.hpp"
#include "follow.hpp"
#include "foxglove/mapping.hpp"
#include "foxglove/protobuf.hpp"
#include "json_text.hpp"
#include "mcap/mcap_writer.hpp"
#include "text.hpp"

namespace copper::logtool {
namespace {

using nlohmann::json;

// MCAP times are unsigned: a time before the clock's epoch is written 0.
uint64_t mcap_time(int64_t ns) { return ns < 0 ? 0 : static_cast<uint64_t>(ns); }

// One well-known view of a slot.
struct ViewChannel {
  const foxglove::Mapping* mapping = nullptr;
  uint16_t channel = 0;
  bool protobuf = false;  // written as protobuf (images, scans)
};

struct SlotChannels {
  const SelectedSlot* slot = nullptr;
  uint16_t plain = 0;  // 0: no usable schema, or only its views are written
  std::vector<ViewChannel> views;
  bool binary = false;  // decoded with byte runs as bytes, for a protobuf view
};

// One text line or lifecycle event, in copperlist order.
struct LogEntry {
  uint64_t cl_id = 0;
  std::optional<int64_t> time_ns;
  foxglove::LogLine line;
};

// The text logs as copper-log text renders them (text_lines: its error and
// signal events included), plus the start and stop events, for the
// selected tasks (and the runtime's own lines, task "-").
std::vector<LogEntry> log_entries(log::LogReader& reader, const Selection& selection, const ClRange& range) {
  std::vector<std::string> wanted;
  for (size_t task : selection.tasks) wanted.push_back(selection.task_ids[task]);
  std::vector<LogEntry> entries;
  for (TextLine& text : text_lines(reader)) {
    if (!range.contains(text.cl_id)) continue;
    if (text.task != "-" && std::find(wanted.begin(), wanted.end(), text.task) == wanted.end()) continue;
    LogEntry entry{text.cl_id, text.time_ns, {}};
    entry.line.level = foxglove::log_level(text.level);
    entry.line.name = text.task == "-" ? "copper" : text.task;
    entry.line.message = std::move(text.message);
    if (const size_t colon = text.location.rfind(':'); colon != std::string::npos && text.location != "(event)") {
      entry.line.file = text.location.substr(0, colon);
      entry.line.line = static_cast<uint32_t>(std::strtoul(text.location.c_str() + colon + 1, nullptr, 10));
    }
    entries.push_back(std::move(entry));
  }
  for (const log::Event& event : reader.check().events) {
    if (event.kind != log::EventKind::start && event.kind != log::EventKind::stop) continue;
    if (!range.contains(event.cl_id)) continue;
    LogEntry entry{event.cl_id, std::nullopt, {}};
    entry.line.name = "copper";
    entry.line.message = event.kind == log::EventKind::start ? "run started" : "run stopped";
    if (!event.message.empty()) entry.line.message += ": " + event.message;
    entries.push_back(std::move(entry));
  }
  std::stable_sort(entries.begin(), entries.end(),
                   [](const LogEntry& a, const LogEntry& b) { return a.cl_id < b.cl_id; });
  return entries;
}

struct KeyframeCopy {
  uint64_t cl_id = 0;
  std::vector<std::pair<std::string, std::string>> states;  // task id, state bytes
};

std::vector<KeyframeCopy> keyframes(log::LogReader& reader, const Selection& selection, const ClRange& range) {
  std::vector<KeyframeCopy> out;
  reader.for_each_keyframe([&](const log::Keyframe& keyframe) {
    if (!range.contains(keyframe.cl_id)) return !range.past_end(keyframe.cl_id);
    KeyframeCopy copy{keyframe.cl_id, {}};
    for (const log::KeyframeState& state : keyframe.states) {
      if (!std::binary_search(selection.tasks.begin(), selection.tasks.end(), state.task_index)) continue;
      copy.states.emplace_back(selection.task_ids[state.task_index],
                               std::string(reinterpret_cast<const char*>(state.state.data()), state.state.size()));
    }
    out.push_back(std::move(copy));
    return true;
  });
  return out;
}

// A JSON object's members as an MCAP Map<string, string>: strings as they
// are, anything else as compact JSON.
mcap::KeyValues key_values(const json& object) {
  mcap::KeyValues out;
  if (!object.is_object()) return out;
  for (const auto& [key, value] : object.items())
    out.emplace_back(key, value.is_string() ? value.get<std::string>() : json_text(value));
  return out;
}

void write_metadata(mcap::Writer& writer, const log::LogReader& reader, bool everything) {
  const json& metadata = reader.metadata();
  const json& build = metadata.contains("build") && metadata["build"].is_object() ? metadata["build"] : json::object();
  writer.add_metadata("copper.run", {{"run_id", reader.header().run_id_hex},
                                     {"format_version", std::to_string(reader.header().version)},
                                     {"created_unix_ns", std::to_string(reader.header().created_unix_ns)},
                                     {"clean_close", reader.has_footer() ? "true" : "false"},
                                     {"copper_version", build.value("copper_version", "")},
                                     {"exported_by", mcap::library_name()}});
  if (metadata.contains("config")) writer.add_metadata("copper.config", {{"json", json_text(metadata["config"])}});
  writer.add_metadata("copper.host", key_values(metadata.value("host", json::object())));
  writer.add_metadata("copper.build", key_values(build));
  writer.add_metadata("copper.logging", key_values(metadata.value("logging", json::object())));
  if (everything) writer.add_metadata("copper.metadata", {{"json", json_text(metadata)}});
}

// The timing channel's JSON Schema: {"cl_id", "time_ns", "tasks": {task:
// {"start_ns", "end_ns", "duration_ns", "status"}}}.
json timing_schema(const Selection& selection) {
  const json integer = {{"type", "integer"}};
  const json span = {{"type", "object"},
                     {"properties",
                      {{"start_ns", integer},
                       {"end_ns", integer},
                       {"duration_ns", integer},
                       {"status", {{"type", "string"}, {"enum", {"ok", "failed", "not_run"}}}}}},
                     {"required", {"start_ns", "end_ns", "duration_ns", "status"}}};
  json tasks = {{"type", "object"}, {"properties", json::object()}};
  for (size_t task : selection.tasks) tasks["properties"][selection.task_ids[task]] = span;
  return {{"$schema", "https://json-schema.org/draft/2020-12/schema"},
          {"title", "copper.Timing"},
          {"type", "object"},
          {"properties", {{"cl_id", integer}, {"time_ns", integer}, {"tasks", tasks}}},
          {"required", {"cl_id", "time_ns", "tasks"}}};
}

class McapExport {
 public:
  McapExport(log::LogReader& reader, const ExportOptions& options, Selection selection, std::ostream& out,
             std::ostream& warnings)
      : reader_(reader),
        options_(options),
        selection_(std::move(selection)),
        warnings_(warnings),
        writer_(out, writer_options(options)) {}

  // A mapping that does not fit its slot stops the export before anything
  // is written (foxglove::well_known_channels: the same rule as the live view).
  Status define_channels(const foxglove::MappingSet& mappings) {
    auto views = foxglove::well_known_channels(mappings, reader_.metadata());
    if (!views) return Status::invalid_argument(std::string(views.error_message()));
    for (const SelectedSlot& slot : selection_.slots) {
      SlotChannels channels;
      channels.slot = &slot;
      if (slot.decoder && slot.schema.is_object()) {
        const std::string type = slot.schema.value("name", "");
        std::vector<const foxglove::WellKnownChannel*> shown;
        for (const foxglove::WellKnownChannel& view : *views)
          if (view.slot == slot.index && options_.views != ExportOptions::Views::plain) shown.push_back(&view);
        if (std::all_of(shown.begin(), shown.end(), [&](const auto* v) { return writes_plain_beside(*v->mapping); })) {
          auto plain = channel(type, json_text(foxglove::json_schema_of(slot.schema)), "/" + slot.producer, type);
          if (!plain) return plain.status();
          channels.plain = *plain;
        }
        for (const foxglove::WellKnownChannel* view : shown)
          if (Status s = define_well_known(*view, type, channels); !s) return s;
      }
      slots_.push_back(channels);
    }
    auto timing = channel("copper.Timing", json_text(timing_schema(selection_)), "/copper/timing", "");
    if (!timing) return timing.status();
    timing_ = *timing;
    for (size_t task : selection_.tasks) timing_keys_.emplace_back(task, json_text(selection_.task_ids[task]) + ':');
    std::sort(timing_keys_.begin(), timing_keys_.end(), [&](const auto& a, const auto& b) {
      return selection_.task_ids[a.first] < selection_.task_ids[b.first];
    });
    const json* log_schema = foxglove::well_known_json_schema("foxglove.Log");
    if (!log_schema) return Status::error("no foxglove.Log schema");
    auto log = channel("foxglove.Log", json_text(*log_schema), "/copper/log", "");
    if (!log) return log.status();
    log_ = *log;
    return {};
  }

  Result<ExportCounts> run() {
    write_metadata(writer_, reader_, options_.metadata);
    entries_ = log_entries(reader_, selection_, options_.range);
    keyframes_ = keyframes(reader_, selection_, options_.range);
    std::unique_ptr<Progress> progress;
    if (options_.progress) progress = std::make_unique<Progress>(expected_cls(reader_));
    for_each_in_range(reader_, options_.range, [&](const log::CopperListView& cl) {
      write_copperlist(cl);
      ++counts_.copperlists;
      if (progress) progress->add();
      return true;
    });
    flush_log_entries(std::numeric_limits<uint64_t>::max(), last_time_);
    return finish();
  }

  // --follow: the copperlists as they land; then, from the log as its
  // writer left it (`finished`), the run's metadata records, the keyframes
  // and the text logs. Those come after the copperlists in the file: MCAP
  // readers order messages by log_time through the indexes, and a text
  // line is only known to be complete once the log has ended.
  Result<ExportCounts> follow(log::LogFollower& follower, const std::function<log::LogReader*()>& finished) {
    while (const log::CopperListView* cl = follower.next_copperlist()) {
      if (options_.range.past_end(cl->id)) break;  // --to reached: done, as without --follow
      if (!options_.range.contains(cl->id)) continue;
      write_copperlist(*cl);
      copperlist_times_.emplace_back(cl->id, mcap_time(cl->time_ns));
      ++counts_.copperlists;
    }
    if (log::LogReader* log = finished()) {
      write_metadata(writer_, *log, options_.metadata);
      for (const KeyframeCopy& keyframe : keyframes(*log, selection_, options_.range))
        write_keyframe(keyframe, time_of(keyframe.cl_id));
      entries_ = log_entries(*log, selection_, options_.range);
      flush_log_entries(std::numeric_limits<uint64_t>::max(), last_time_);
    }
    return finish();
  }

 private:
  Result<ExportCounts> finish() {
    if (Status s = writer_.finish(); !s) return s;
    counts_.bytes = writer_.bytes_written();
    counts_.messages = writer_.message_count();
    return counts_;
  }

  // The time of an exported copperlist (a keyframe's attachment is stamped
  // with it); the last one's for an id not exported.
  uint64_t time_of(uint64_t cl_id) const {
    const auto at =
        std::lower_bound(copperlist_times_.begin(), copperlist_times_.end(), std::pair<uint64_t, uint64_t>{cl_id, 0});
    return at != copperlist_times_.end() && at->first == cl_id ? at->second : last_time_;
  }

  static mcap::WriterOptions writer_options(const ExportOptions& options) {
    mcap::WriterOptions out;
    out.compression = options.compress ? mcap::ChunkCompression::zstd : mcap::ChunkCompression::none;
    out.chunk_size = options.chunk_size;
    return out;
  }

  // Whether a mapped type's plain channel is written beside its view. By
  // default not for the sensor views (images, scans): that channel would
  // be the pixels again as base64 text no panel draws, or the ranges
  // again, doubling the file and the export's time.
  bool writes_plain_beside(const foxglove::Mapping& mapping) const {
    switch (options_.views) {
      case ExportOptions::Views::automatic: return !foxglove::writes_protobuf(mapping.schema_name());
      case ExportOptions::Views::well_known: return false;
      case ExportOptions::Views::both:
      case ExportOptions::Views::plain: return true;
    }
    return true;
  }

  // A JSON channel ("jsonschema" schema), or with `protobuf` a protobuf one
  // (`schema` a FileDescriptorSet).
  Result<uint16_t> channel(const std::string& schema_name, const std::string& schema, const std::string& topic,
                           const std::string& type, bool protobuf = false) {
    auto schema_id = writer_.add_schema(schema_name, protobuf ? "protobuf" : "jsonschema", schema);
    if (!schema_id) return schema_id.status();
    mcap::KeyValues metadata;
    if (!type.empty()) metadata.emplace_back("copper.type", type);
    return writer_.add_channel(*schema_id, topic, protobuf ? "protobuf" : "json", std::move(metadata));
  }

  // Images and scans as protobuf (foxglove/protobuf.hpp says why), the
  // other views as JSON.
  Status define_well_known(const foxglove::WellKnownChannel& view, const std::string& type, SlotChannels& channels) {
    const std::string& name = view.mapping->schema_name();
    const bool protobuf = foxglove::writes_protobuf(name);
    const json* schema = foxglove::well_known_json_schema(name);
    if (!protobuf && !schema)
      return Status::invalid_argument(fmt::format("{}: copper cannot write {}", view.topic, name));
    auto id = protobuf ? channel(name, foxglove::protobuf_descriptor_set(name), view.topic, type, true)
                       : channel(name, json_text(*schema), view.topic, type);
    if (!id) return id.status();
    channels.views.push_back({view.mapping, *id, protobuf});
    channels.binary = channels.binary || protobuf;
    return {};
  }

  void write_copperlist(const log::CopperListView& cl) {
    const uint64_t log_time = mcap_time(cl.time_ns);
    flush_log_entries(cl.id, log_time);
    while (next_keyframe_ < keyframes_.size() && keyframes_[next_keyframe_].cl_id <= cl.id)
      write_keyframe(keyframes_[next_keyframe_++], log_time);
    for (const SlotChannels& channels : slots_) {
      if (channels.slot->index >= cl.slots.size() || (channels.plain == 0 && channels.views.empty())) continue;
      write_slot(channels, cl.slots[channels.slot->index], log_time);
    }
    write_timing(cl, log_time);
    last_time_ = log_time;
  }

  // The plain channel's text comes straight from the message's bytes
  // (MessageDecoder::append_json); a JSON object is built only for the
  // well-known view, whose mapping converts JSON.
  void write_slot(const SlotChannels& channels, const log::SlotData& data, uint64_t log_time) {
    const MessageDecoder& decoder = *channels.slot->decoder;
    const uint64_t publish_time = mcap_time(data.time_of_validity_ns);
    std::optional<json> message;
    if (!channels.views.empty()) {
      auto decoded = decoder.decode(data.bytes, channels.binary ? BytesAs::binary : BytesAs::base64);
      if (!decoded) {
        ++counts_.decode_errors;
        return;
      }
      message = std::move(*decoded);
    }
    if (channels.plain != 0 &&
        !write_plain(channels.plain, decoder, data.bytes, log_time, publish_time, message.has_value()))
      return;
    if (!message) return;
    for (size_t i = 0; i < channels.views.size(); ++i) {
      const ViewChannel& view = channels.views[i];
      const bool last = i + 1 == channels.views.size();  // the last view may take the bytes out of the message
      auto shown = last ? view.mapping->convert(std::move(*message), data.time_of_validity_ns)
                        : view.mapping->convert(*message, data.time_of_validity_ns);
      if (!shown) {
        conversion_failed(channels, view, shown.status());
        continue;
      }
      write_view(channels, view, *shown, log_time, publish_time);
    }
  }

  // A message that does not decode must leave no record: unless decode()
  // has just accepted these bytes (append_json then accepts them too), the
  // text is made in a buffer and copied into the chunk.
  bool write_plain(uint16_t channel, const MessageDecoder& decoder, std::span<const uint8_t> bytes, uint64_t log_time,
                   uint64_t publish_time, bool decoded) {
    if (decoded) {
      const Status s =
          decoder.append_json(bytes, BytesAs::base64, writer_.begin_message(channel, log_time, publish_time));
      writer_.end_message();
      return s.ok();
    }
    body_.clear();
    if (Status s = decoder.append_json(bytes, BytesAs::base64, body_); !s) {
      ++counts_.decode_errors;
      return false;
    }
    writer_.add_message(channel, log_time, publish_time, body_);
    return true;
  }

  // One view's message: protobuf, or JSON with floats in the shortest text
  // that reads back the same.
  void write_view(const SlotChannels& channels, const ViewChannel& view, const json& shown, uint64_t log_time,
                  uint64_t publish_time) {
    if (view.protobuf) {
      // Made apart and copied (a few microseconds for an image), so that a
      // failure leaves no record.
      body_.clear();
      if (Status s = foxglove::append_protobuf(view.mapping->schema_name(), shown, body_); !s)
        return conversion_failed(channels, view, s);
      return writer_.add_message(view.channel, log_time, publish_time, body_);
    }
    append_json(writer_.begin_message(view.channel, log_time, publish_time), shown, FloatText::shortest);
    writer_.end_message();
  }

  void conversion_failed(const SlotChannels& channels, const ViewChannel& view, const Status& status) {
    if (counts_.conversion_errors++ == 0)
      fmt::print(warnings_, "warning: /{}: a message cannot be shown as {}: {}\n", channels.slot->producer,
                 view.mapping->schema_name(), status.message());
  }

  // Written directly, with the members in the order nlohmann's objects
  // keep (sorted), so the text is what dumping the JSON object gave.
  void write_timing(const log::CopperListView& cl, uint64_t log_time) {
    auto out = std::back_inserter(writer_.begin_message(timing_, log_time, log_time));
    fmt::format_to(out, "{{\"cl_id\":{},\"tasks\":{{", cl.id);
    bool first = true;
    for (const auto& [task, key] : timing_keys_) {
      if (task >= cl.tasks.size()) continue;
      const log::TaskTiming& t = cl.tasks[task];
      fmt::format_to(out, "{}{}{{\"duration_ns\":{},\"end_ns\":{},\"start_ns\":{},\"status\":\"{}\"}}",
                     first ? "" : ",", key, t.end_ns - t.start_ns, t.end_ns, t.start_ns, to_string(t.status));
      first = false;
    }
    fmt::format_to(out, "}},\"time_ns\":{}}}", cl.time_ns);
    writer_.end_message();
  }

  // The entries of copperlists up to `cl_id`, at their copperlist's time
  // when it is known, else at `time` (the copperlist being written).
  void flush_log_entries(uint64_t cl_id, uint64_t time) {
    for (; next_entry_ < entries_.size() && entries_[next_entry_].cl_id <= cl_id; ++next_entry_) {
      LogEntry& entry = entries_[next_entry_];
      const uint64_t at = entry.time_ns ? mcap_time(*entry.time_ns) : time;
      entry.line.time_ns = static_cast<int64_t>(at);
      append_json(writer_.begin_message(log_, at, at), foxglove::log_message(entry.line));
      writer_.end_message();
    }
  }

  void write_keyframe(const KeyframeCopy& keyframe, uint64_t log_time) {
    for (const auto& [task, state] : keyframe.states) {
      mcap::Attachment attachment;
      attachment.log_time = log_time;
      attachment.name = fmt::format("keyframe/{}/{}", keyframe.cl_id, task);
      attachment.media_type = "application/octet-stream";
      attachment.data = state;
      writer_.add_attachment(attachment);
    }
  }

  log::LogReader& reader_;
  const ExportOptions& options_;
  Selection selection_;
  std::ostream& warnings_;
  mcap::Writer writer_;
  std::vector<SlotChannels> slots_;
  uint16_t timing_ = 0;
  std::vector<std::pair<size_t, std::string>> timing_keys_;  // selected task, its id as a JSON key; by id
  std::string body_;                                         // a plain message's text
  uint16_t log_ = 0;
  std::vector<LogEntry> entries_;
  size_t next_entry_ = 0;
  std::vector<KeyframeCopy> keyframes_;
  size_t next_keyframe_ = 0;
  uint64_t last_time_ = 0;
  std::vector<std::pair<uint64_t, uint64_t>> copperlist_times_;  // id, MCAP time (--follow only)
  ExportCounts counts_;
};

}  // namespace

Result<ExportCounts> export_mcap(log::LogReader& reader, const ExportOptions& options, std::ostream& out,
                                 std::ostream& warnings) {
  auto selection = select(reader, options.tasks);
  if (!selection) return selection.status();
  auto mappings = foxglove::MappingSet::load(reader.metadata(), options.mapping);
  if (!mappings) return Status::invalid_argument(std::string(mappings.error_message()));
  McapExport exporter(reader, options, std::move(*selection), out, warnings);
  if (Status s = exporter.define_channels(*mappings); !s) return s;
  return exporter.run();
}

namespace {

// Writes the MCAP file `body` produces to -o, under a temporary name until
// it is complete, and reports what it left out. 0, or the exit code.
int write_mcap_file(const ExportOptions& options, Io io,
                    const std::function<Result<ExportCounts>(std::ostream&)>& body) {
  auto target = OutputFile::create(options.output, options.force ? Overwrite::allow : Overwrite::refuse);
  if (!target) {
    fmt::print(io.err, "error: {}\n", target.error_message());
    return exit_code_for(target.status());
  }
  std::ofstream file(target->temporary(), std::ios::binary | std::ios::trunc);
  if (!file) {
    fmt::print(io.err, "error: {}: cannot create the output file\n", options.output);
    return kExitFailed;
  }
  auto counts = body(file);
  if (!counts) {
    fmt::print(io.err, "error: {}\n", counts.error_message());
    return counts.status().code() == StatusCode::io_error ? kExitFailed : kExitCannotRun;
  }
  file.close();
  if (Status s = file.fail() ? Status::io_error(options.output + ": write failed") : target->commit(); !s) {
    fmt::print(io.err, "error: {}\n", s.message());
    return kExitFailed;
  }
  if (counts->decode_errors)
    fmt::print(io.err, "warning: {} messages did not decode through their schema (left out)\n", counts->decode_errors);
  if (counts->conversion_errors)
    fmt::print(io.err, "warning: {} messages could not be shown in their well-known schema (left out)\n",
               counts->conversion_errors);
  return kExitOk;
}

// export --follow --format mcap: the file is written (and renamed into
// place) once the recorder has ended, or at Ctrl-C with what was read.
int follow_into_mcap(const ExportOptions& options, Io io) {
  auto follower = open_follower(options.log, follow_options({}), io.err);
  if (!follower) return not_followed();
  // The log as its writer left it: check's reading once the writer is
  // gone; at Ctrl-C or --to, the file read afresh as it is now.
  std::optional<log::LogReader> reread;
  const auto finished = [&]() -> log::LogReader* {
    const log::FollowEnd end = follower->end();
    if (end == log::FollowEnd::closed || end == log::FollowEnd::unclosed) return &follower->final_reader();
    auto reader = log::LogReader::open(options.log);
    if (!reader) return nullptr;
    return &reread.emplace(std::move(*reader));
  };
  const int written = write_mcap_file(options, io, [&](std::ostream& out) -> Result<ExportCounts> {
    log::LogReader& reader = follower->reader();
    auto selection = select(reader, options.tasks);
    if (!selection) return selection.status();
    auto mappings = foxglove::MappingSet::load(reader.metadata(), options.mapping);
    if (!mappings) return Status::invalid_argument(std::string(mappings.error_message()));
    McapExport exporter(reader, options, std::move(*selection), out, io.err);
    if (Status s = exporter.define_channels(*mappings); !s) return s;
    return exporter.follow(*follower, finished);
  });
  return written != kExitOk ? written : follow_exit(*follower, options.log, io.err);
}

}  // namespace

int run_export_mcap(const ExportOptions& options, Io io) {
  if (options.output.empty() || options.output == "-") {
    fmt::print(io.err, "error: --format mcap writes a file: give it with -o FILE\n");
    return kExitCannotRun;
  }
  if (options.follow) return follow_into_mcap(options, io);
  auto reader = open_decodable_log(options.log, io.err);
  if (!reader) return kExitCannotRun;
  const int written =
      write_mcap_file(options, io, [&](std::ostream& out) { return export_mcap(*reader, options, out, io.err); });
  if (written == kExitOk && !reader->has_footer())
    fmt::print(io.err, "warning: {}: not closed cleanly; exported what is intact (copper-log check)\n", options.log);
  return written;
}

}  // namespace copper::logtool
