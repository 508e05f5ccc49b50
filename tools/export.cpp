#include "export.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <ostream>

#include "csv.hpp"
#include "follow.hpp"
#include "json_text.hpp"

namespace copper::logtool {

using nlohmann::json;

CopperListJson::CopperListJson(Selection selection, BytesAs bytes_as, bool with_tasks)
    : selection_(std::move(selection)), bytes_as_(bytes_as), with_tasks_(with_tasks) {}

json CopperListJson::operator()(const log::CopperListView& cl) {
  json out = json::object();
  out["id"] = cl.id;
  out["time_ns"] = cl.time_ns;
  json slots = json::object();
  for (const SelectedSlot& slot : selection_.slots) {
    if (slot.index >= cl.slots.size()) continue;
    bool failed = false;
    slots[slot.producer] = slot_json(slot, cl.slots[slot.index], bytes_as_, failed);
    decode_errors_ += failed ? 1 : 0;
  }
  out["slots"] = std::move(slots);
  if (!with_tasks_) return out;
  json tasks = json::object();
  for (size_t task : selection_.tasks) {
    if (task >= cl.tasks.size()) continue;
    const log::TaskTiming& t = cl.tasks[task];
    tasks[selection_.task_ids[task]] = {
        {"start_ns", t.start_ns}, {"end_ns", t.end_ns}, {"status", to_string(t.status)}};
  }
  out["tasks"] = std::move(tasks);
  return out;
}

namespace {

constexpr size_t kFlushBytes = 1u << 20;

std::string dump(const json& value) { return json_text(value); }

// Buffers output in large blocks; ostream insertion per value is slow.
class BufferedOutput {
 public:
  explicit BufferedOutput(std::ostream& out) : out_(out) { buffer_.reserve(2 * kFlushBytes); }
  std::string& buffer() { return buffer_; }
  void maybe_flush() {
    if (buffer_.size() >= kFlushBytes) flush();
  }
  void flush() {
    out_.write(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    written_ += buffer_.size();
    buffer_.clear();
  }
  uint64_t written() const { return written_; }

 private:
  std::ostream& out_;
  std::string buffer_;
  uint64_t written_ = 0;
};

// The JSON document's head: what the log is, then "copperlists": [
std::string document_head(const log::LogReader& reader, const ExportOptions& options) {
  json log_info = {{"path", reader.path().string()},
                   {"run_id", reader.header().run_id_hex},
                   {"format_version", reader.header().version},
                   {"created_unix_ns", reader.header().created_unix_ns}};
  std::string head = "{\"format\":\"copper-export\",\"version\":1,\"log\":" + dump(log_info);
  if (options.metadata) head += ",\"metadata\":" + dump(reader.metadata());
  return head + ",\"copperlists\":[\n";
}

}  // namespace

Result<ExportCounts> export_log(log::LogReader& reader, const ExportOptions& options, std::ostream& out) {
  auto selection = select(reader, options.tasks);
  if (!selection) return selection.status();
  const BytesAs bytes_as = options.blobs ? BytesAs::base64 : BytesAs::omitted;
  CopperListJson to_json(std::move(*selection), bytes_as, options.metadata);
  const CsvTable table(to_json.selection(), options.metadata, options.blobs);
  BufferedOutput sink(out);
  if (options.format == ExportFormat::json) sink.buffer() += document_head(reader, options);
  if (options.format == ExportFormat::csv) table.append_header(sink.buffer());
  ExportCounts counts;
  std::unique_ptr<Progress> progress;
  if (options.progress) progress = std::make_unique<Progress>(expected_cls(reader));
  for_each_in_range(reader, options.range, [&](const log::CopperListView& cl) {
    const json document = to_json(cl);
    if (options.format == ExportFormat::csv) {
      table.append_row(sink.buffer(), document);
    } else {
      if (options.format == ExportFormat::json && counts.copperlists > 0) sink.buffer() += ",\n";
      append_json(sink.buffer(), document);
      if (options.format == ExportFormat::jsonl) sink.buffer() += '\n';
    }
    ++counts.copperlists;
    if (progress) progress->add();
    sink.maybe_flush();
    return static_cast<bool>(out);
  });
  if (options.format == ExportFormat::json) sink.buffer() += "\n]}\n";
  sink.flush();
  counts.bytes = sink.written();
  counts.decode_errors = to_json.decode_errors();
  return counts;
}

int run_export(const ExportOptions& options, Io io) {
  if (options.follow) return run_export_follow(options, io);
  if (options.format == ExportFormat::mcap) return run_export_mcap(options, io);
  auto reader = open_decodable_log(options.log, io.err);
  if (!reader) return kExitCannotRun;
  auto output = Output::open(options.output, io.out);
  if (!output) {
    fmt::print(io.err, "error: {}\n", output.error_message());
    return exit_code_for(output.status());
  }
  auto counts = export_log(*reader, options, output->stream());
  if (!counts) {
    fmt::print(io.err, "error: {}\n", counts.error_message());
    return kExitCannotRun;  // the only failure before writing: an unknown task
  }
  if (Status s = output->finish(); !s) {
    fmt::print(io.err, "error: {}\n", s.message());
    return kExitFailed;
  }
  if (counts->decode_errors)
    fmt::print(io.err, "warning: {} messages did not decode through their schema (see their \"error\")\n",
               counts->decode_errors);
  // A full check would read the file a second time; a missing footer is the
  // cheap sign that something is missing. Damaged records are skipped.
  if (!reader->has_footer())
    fmt::print(io.err, "warning: {}: not closed cleanly; exported what is intact (copper-log check)\n", options.log);
  return kExitOk;
}

}  // namespace copper::logtool
