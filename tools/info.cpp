#include "info.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <chrono>
#include <map>

#include "copper/stats.hpp"
#include "log/layout.hpp"

namespace copper::logtool {
namespace {

using nlohmann::json;

const json& field(const json& object, const char* key) {
  static const json null;
  return object.is_object() && object.contains(key) ? object[key] : null;
}

// "2024-06-01T12:00:00.123456789Z" from nanoseconds since the epoch, for
// any int64 (1677 to 2262): the calendar comes from whole days, never
// from a conversion back to nanoseconds, which overflows at the ends.
std::string utc_text(int64_t ns) {
  constexpr int64_t kPerSecond = 1'000'000'000, kSecondsPerDay = 86'400;
  const int64_t seconds = ns / kPerSecond - (ns % kPerSecond < 0);
  const int64_t fraction = ((ns % kPerSecond) + kPerSecond) % kPerSecond;
  const int64_t days = seconds / kSecondsPerDay - (seconds % kSecondsPerDay < 0);
  const int64_t in_day = seconds - days * kSecondsPerDay;
  const std::chrono::year_month_day date{std::chrono::sys_days(std::chrono::days(days))};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()), in_day / 3600,
                     in_day / 60 % 60, in_day % 60, fraction);
}

// Tasks, the connections their inputs make, and the message type per slot.
json graph_json(const json& metadata) {
  json tasks = json::array(), connections = json::array(), types = json::array();
  const json& slot_list = field(metadata, "slots");
  const json& task_list = field(metadata, "tasks");
  std::vector<std::string> producers;
  for (const auto& slot : slot_list.is_array() ? slot_list : json::array()) {
    producers.push_back(field(slot, "producer").is_string() ? field(slot, "producer").get<std::string>() : "?");
    types.push_back({{"slot", field(slot, "index")},
                     {"producer", field(slot, "producer")},
                     {"type", field(slot, "type")},
                     {"schema_hash", field(slot, "schema_hash")}});
  }
  for (const auto& task : task_list.is_array() ? task_list : json::array()) {
    tasks.push_back({{"index", field(task, "index")},
                     {"id", field(task, "id")},
                     {"type", field(task, "type")},
                     {"kind", field(task, "kind")},
                     {"plugin", field(task, "plugin")}});
    const json& inputs = field(task, "inputs");
    for (const auto& input : inputs.is_array() ? inputs : json::array()) {
      const json& slot = field(input, "slot");
      const bool known = slot.is_number_unsigned() && slot.get<uint64_t>() < producers.size();
      connections.push_back({{"from", known ? json(producers[slot.get<size_t>()]) : json(nullptr)},
                             {"to", field(task, "id")},
                             {"input", field(input, "name")}});
    }
  }
  return {{"tasks", std::move(tasks)}, {"connections", std::move(connections)}, {"message_types", std::move(types)}};
}

// Records, bytes in the file (framing included), payload bytes as stored
// (a zstd frame: its footprint less the header, within 7 bytes of
// alignment) and after decompression, per record type.
json streams_json(log::LogReader& reader) {
  struct Totals {
    uint64_t records = 0, stored = 0, packed = 0, payload = 0;
  };
  std::map<std::string, Totals> totals;
  reader.for_each_record([&](const log::RecordView& record) {
    const char* name = log::to_string(static_cast<log::RecordType>(record.type));
    Totals& t = totals[name];
    ++t.records;
    t.stored += record.footprint;
    t.payload += record.payload.size();
    const bool zstd = (record.flags & log::kRecordFlagZstd) != 0;
    t.packed += zstd ? record.footprint - log::kRecordHeaderSize : record.payload.size();
    return true;
  });
  json out = json::object();
  for (const auto& [name, t] : totals)
    out[name] = {{"records", t.records},
                 {"stored_bytes", t.stored},
                 {"stored_payload_bytes", t.packed},
                 {"payload_bytes", t.payload}};
  return out;
}

json copperlists_json(log::LogReader& reader, const log::CheckReport& report) {
  json out = {{"count", report.cl_count}, {"first_id", nullptr},     {"last_id", nullptr},
              {"first_time_ns", nullptr}, {"last_time_ns", nullptr}, {"duration_ns", nullptr}};
  if (!report.first_cl_id) return out;
  out["first_id"] = *report.first_cl_id;
  out["last_id"] = *report.last_cl_id;
  std::optional<int64_t> first, last;
  reader.find_copperlist(*report.first_cl_id, [&](const log::CopperListView& cl) { first = cl.time_ns; });
  reader.find_copperlist(*report.last_cl_id, [&](const log::CopperListView& cl) { last = cl.time_ns; });
  if (first) out["first_time_ns"] = *first;
  if (last) out["last_time_ns"] = *last;
  // A damaged log's stamps may lie further apart than an int64 reaches:
  // then there is no duration to show.
  int64_t duration = 0;
  if (first && last && !__builtin_sub_overflow(*last, *first, &duration)) out["duration_ns"] = duration;
  return out;
}

// Copperlist bytes before compression over bytes stored: exact from the
// summary of a closed log, else from the records.
double compression_ratio(const json& summary, const json& streams) {
  const json& raw = field(summary, "raw_cl_bytes");
  const json& stored = field(summary, "stored_cl_bytes");
  if (raw.is_number_unsigned() && stored.is_number_unsigned() && stored.get<uint64_t>() > 0)
    return static_cast<double>(raw.get<uint64_t>()) / static_cast<double>(stored.get<uint64_t>());
  const json& copperlists = field(streams, "copperlists");
  if (!copperlists.is_object()) return 1.0;
  const uint64_t packed = copperlists["stored_payload_bytes"].get<uint64_t>();
  return packed ? static_cast<double>(copperlists["payload_bytes"].get<uint64_t>()) / static_cast<double>(packed) : 1.0;
}

// Why the run ended early, if it did: the failure it stopped on (the
// failure record), the recorder's error events, a signal.
json stop_json(const log::CheckReport& report) {
  json errors = json::array(), signals = json::array();
  for (const log::Event& event : report.events) {
    if (event.kind == log::EventKind::error) errors.push_back({{"cl_id", event.cl_id}, {"message", event.message}});
    if (event.kind == log::EventKind::signal) signals.push_back({{"cl_id", event.cl_id}, {"message", event.message}});
  }
  json failure = nullptr;
  if (report.failure)
    failure = {{"task", report.failure->task_id},
               {"phase", report.failure->phase},
               {"cl_id", report.failure->cl_id},
               {"message", report.failure->message},
               {"description", report.failure->describe()}};
  return {{"failure", std::move(failure)}, {"errors", std::move(errors)}, {"signals", std::move(signals)}};
}

}  // namespace

json log_info(log::LogReader& reader) {
  const log::CheckReport& report = reader.check();
  const log::LogHeader& header = reader.header();
  const json& metadata = reader.metadata();
  json streams = streams_json(reader);
  json info = {{"path", reader.path().string()},
               {"file_size", reader.file_size()},
               {"format_version", header.version},
               {"run_id", header.run_id_hex},
               {"created_unix_ns", header.created_unix_ns},
               {"created_utc", utc_text(header.created_unix_ns)},
               {"host", field(metadata, "host")},
               {"build", field(metadata, "build")},
               {"plugins", field(metadata, "plugins").is_array() ? field(metadata, "plugins") : json::array()},
               {"logging", field(metadata, "logging")},
               {"metadata_readable", metadata.is_object()},
               {"clean_close", header.clean_close && reader.has_footer()},
               {"end_reason", field(reader.summary(), "end_reason")},
               {"wall_time_ns", field(reader.summary(), "wall_time_ns")},
               {"graph", graph_json(metadata)},
               {"copperlists", copperlists_json(reader, report)},
               {"text_entries", report.text_entries},
               {"keyframes", report.keyframes},
               {"compression_ratio", compression_ratio(reader.summary(), streams)},
               {"streams", std::move(streams)},
               {"durable_watermark", nullptr},
               {"damaged_ranges", report.damage.size()},
               {"missing_cls", report.missing_cls}};
  info["stopped"] = stop_json(report);
  if (!report.sync_marks.empty()) {
    const log::SyncMark& mark = report.sync_marks.back();
    info["durable_watermark"] = {
        {"offset", mark.durable_offset}, {"copperlists", mark.durable_cls}, {"time_ns", mark.time_ns}};
  }
  return info;
}

namespace {

std::string text_of(const json& value) { return value.is_string() ? value.get<std::string>() : value.dump(); }

void graph_text(std::string& out, const json& graph) {
  out += fmt::format("graph:      {} tasks, {} connections\n", graph["tasks"].size(), graph["connections"].size());
  for (const auto& task : graph["tasks"])
    out += fmt::format("  task      {:<16} {:<28} {}{}\n", text_of(task["id"]), text_of(task["type"]),
                       text_of(task["kind"]), task["plugin"].is_string() ? "  (plugin " + text_of(task["plugin"]) + ")" : "");
  for (const auto& c : graph["connections"])
    out += fmt::format("  link      {} -> {}.{}\n", text_of(c["from"]), text_of(c["to"]), text_of(c["input"]));
  for (const auto& t : graph["message_types"])
    out += fmt::format("  message   slot {} {:<16} {} ({})\n", text_of(t["slot"]), text_of(t["producer"]),
                       text_of(t["type"]), text_of(t["schema_hash"]));
}

// The code that wrote the log: copper's build and each plugin's file.
void code_text(std::string& out, const json& build, const json& plugins) {
  if (build.is_object())
    out += fmt::format("code:       copper {} ({}, {})\n", text_of(field(build, "copper_version")),
                       text_of(field(build, "compiler")), text_of(field(build, "build_type")));
  for (const auto& plugin : plugins) {
    const std::string build_id = text_of(field(plugin, "build_id"));
    out += fmt::format("  plugin    {} {} {} ({} bytes, xxh3 {}{})\n", text_of(field(plugin, "name")),
                       text_of(field(plugin, "version")), text_of(field(plugin, "path")),
                       text_of(field(plugin, "size")), text_of(field(plugin, "xxh3")),
                       build_id.empty() || build_id == "\"\"" ? "" : ", build-id " + build_id);
  }
}

void stopped_text(std::string& out, const json& stopped) {
  if (stopped["failure"].is_object()) {
    out += fmt::format("stopped:    {}\n", text_of(stopped["failure"]["description"]));
  } else if (!stopped["errors"].empty()) {
    out += fmt::format("stopped:    {}\n", text_of(stopped["errors"][0]["message"]));
  } else if (!stopped["signals"].empty()) {
    out += fmt::format("stopped:    {} (at copperlist {})\n", text_of(stopped["signals"][0]["message"]),
                       text_of(stopped["signals"][0]["cl_id"]));
  }
  for (size_t i = stopped["failure"].is_object() ? 0 : 1; i < stopped["errors"].size(); ++i) {
    const std::string message = text_of(stopped["errors"][i]["message"]);
    if (!stopped["failure"].is_object() || message != text_of(stopped["failure"]["description"]))
      out += fmt::format("  error     {}\n", message);
  }
}

void streams_text(std::string& out, const json& streams) {
  out += "streams:    records      stored bytes    payload bytes\n";
  for (const auto& [name, t] : streams.items())
    out += fmt::format("  {:<12} {:>9} {:>17} {:>16}\n", name, t["records"].get<uint64_t>(),
                       t["stored_bytes"].get<uint64_t>(), t["payload_bytes"].get<uint64_t>());
}

}  // namespace

std::string info_text(const json& info) {
  std::string out;
  const json& host = info["host"];
  const json& copperlists = info["copperlists"];
  out += fmt::format("log:        {} ({} bytes)\n", text_of(info["path"]), info["file_size"].get<uint64_t>());
  out += fmt::format("format:     version {}\n", info["format_version"].get<uint32_t>());
  out += fmt::format("run:        {}\n", text_of(info["run_id"]));
  out += fmt::format("created:    {}\n", text_of(info["created_utc"]));
  if (host.is_object())
    out += fmt::format("host:       {} ({}, {} cpus)\n", text_of(field(host, "hostname")),
                       text_of(field(host, "kernel")), text_of(field(host, "cpus")));
  out += fmt::format("copperlists: {}", copperlists["count"].get<uint64_t>());
  if (!copperlists["first_id"].is_null())
    out +=
        fmt::format(" (ids {}..{})", copperlists["first_id"].get<uint64_t>(), copperlists["last_id"].get<uint64_t>());
  if (!copperlists["duration_ns"].is_null())
    out += fmt::format(", duration {} s", seconds_text(copperlists["duration_ns"].get<int64_t>()));
  out += "\n";
  out += fmt::format("text:       {} entries, {} keyframes\n", info["text_entries"].get<uint64_t>(),
                     info["keyframes"].get<uint64_t>());
  code_text(out, info["build"], info["plugins"]);
  graph_text(out, info["graph"]);
  streams_text(out, info["streams"]);
  out += fmt::format("compression: {:.2f}x (copperlists payload / stored)\n", info["compression_ratio"].get<double>());
  out += fmt::format("closed:     {}{}\n", info["clean_close"].get<bool>() ? "cleanly" : "NOT cleanly",
                     info["end_reason"].is_string() ? " (" + info["end_reason"].get<std::string>() + ")" : "");
  stopped_text(out, info["stopped"]);
  const json& mark = info["durable_watermark"];
  if (mark.is_null())
    out += "durable:    no sync record\n";
  else
    out += fmt::format("durable:    {} copperlists, up to offset {}\n", mark["copperlists"].get<uint64_t>(),
                       mark["offset"].get<uint64_t>());
  if (info["damaged_ranges"].get<size_t>() > 0 || !info["missing_cls"].empty())
    out += fmt::format("damage:     {} damaged ranges, {} id gaps (run `copper-log check`)\n",
                       info["damaged_ranges"].get<size_t>(), info["missing_cls"].size());
  return out;
}

int run_info(const InfoOptions& options, Io io) {
  auto reader = open_log(options.log, io.err);
  if (!reader) return kExitCannotRun;
  const json info = log_info(*reader);
  if (options.json)
    io.out << info.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
  else
    io.out << info_text(info);
  // What the file says without its metadata is printed; still, the log
  // cannot be read as a recording (exit 2, as `check` says "unreadable").
  return metadata_unreadable(*reader, io.err) ? kExitCannotRun : kExitOk;
}

}  // namespace copper::logtool
