#include "recover.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>
#include <map>
#include <vector>

#include "check.hpp"
#include "copper/log/writer.hpp"
#include "output_file.hpp"

namespace copper::logtool {
namespace {

using nlohmann::json;

// Text entries and keyframes copied out of the reader's scratch buffers:
// the writer wants them next to their copperlists, which a second walk of
// the file gives, so they are held until then.
struct HeldText {
  log::TextEntry entry;
  size_t args_at = 0;  // into Held::bytes
};

struct HeldKeyframe {
  uint64_t cl_id = 0;
  std::vector<uint32_t> tasks;
  std::vector<std::pair<size_t, size_t>> states;  // (offset, length) into Held::bytes
};

struct Held {
  std::vector<uint8_t> bytes;
  std::vector<HeldText> text;  // sorted by cl_id (stable)
  std::vector<HeldKeyframe> keyframes;
  size_t next_text = 0, next_keyframe = 0;

  size_t keep(std::span<const uint8_t> data) {
    const size_t at = bytes.size();
    bytes.insert(bytes.end(), data.begin(), data.end());
    return at;
  }
};

Held hold(log::LogReader& reader) {
  Held held;
  reader.for_each_text([&](const log::TextEntry& entry) {
    held.text.push_back({entry, held.keep(entry.args)});
    return true;
  });
  reader.for_each_keyframe([&](const log::Keyframe& keyframe) {
    HeldKeyframe k{keyframe.cl_id, {}, {}};
    for (const auto& s : keyframe.states) {
      k.tasks.push_back(s.task_index);
      k.states.emplace_back(held.keep(s.state), s.state.size());
    }
    held.keyframes.push_back(std::move(k));
    return true;
  });
  std::stable_sort(held.text.begin(), held.text.end(),
                   [](const HeldText& a, const HeldText& b) { return a.entry.cl_id < b.entry.cl_id; });
  std::stable_sort(held.keyframes.begin(), held.keyframes.end(),
                   [](const HeldKeyframe& a, const HeldKeyframe& b) { return a.cl_id < b.cl_id; });
  return held;
}

class Rewriter {
 public:
  Rewriter(log::LogWriter& writer, Held& held) : writer_(writer), held_(held) {}

  // Keyframes tagged up to `id` go before copperlist `id`, as the writer puts them.
  Status keyframes_up_to(uint64_t id) {
    for (; held_.next_keyframe < held_.keyframes.size() && held_.keyframes[held_.next_keyframe].cl_id <= id;
         ++held_.next_keyframe) {
      const HeldKeyframe& k = held_.keyframes[held_.next_keyframe];
      std::vector<log::KeyframeState> states;
      for (size_t i = 0; i < k.tasks.size(); ++i)
        states.push_back({k.tasks[i], {held_.bytes.data() + k.states[i].first, k.states[i].second}});
      if (Status s = writer_.write_recorded_keyframe({k.cl_id, states}); !s) return s;
      ++result.keyframes;
    }
    return {};
  }

  // Text entries up to `id` follow copperlist `id`; a record holds at most
  // kChunk entries, so a long run of orphans still fits a slab.
  Status text_up_to(uint64_t id) {
    constexpr size_t kChunk = 1024;
    std::vector<log::TextEntry> batch;
    while (held_.next_text < held_.text.size() && held_.text[held_.next_text].entry.cl_id <= id) {
      HeldText& t = held_.text[held_.next_text++];
      t.entry.args = {held_.bytes.data() + t.args_at, t.entry.args.size()};
      batch.push_back(t.entry);
      if (batch.size() == kChunk || held_.next_text == held_.text.size() ||
          held_.text[held_.next_text].entry.cl_id > id) {
        if (Status s = writer_.write_recorded_text(batch); !s) return s;
        result.text_entries += batch.size();
        batch.clear();
      }
    }
    return {};
  }

  Status copperlist(const log::CopperListView& cl) {
    // The reader ends a log where ids go back (docs/log-format.md, "Salvage").
    if (last_ && cl.id <= *last_) return Status::corruption("copperlist ids go back: not what the reader returns");
    if (Status s = keyframes_up_to(cl.id); !s) return s;
    if (Status s = writer_.commit_recorded(cl); !s) return s;
    last_ = cl.id;
    ++result.copperlists;
    return text_up_to(cl.id);
  }

  RecoverResult result;

 private:
  log::LogWriter& writer_;
  Held& held_;
  std::optional<uint64_t> last_;
};

Result<log::WriterOptions> writer_options(const RecoverOptions& options, const json& metadata) {
  std::string compress = options.compress.value_or("none");
  if (!options.compress && metadata.contains("logging") && metadata["logging"].is_object() &&
      metadata["logging"].contains("compress") && metadata["logging"]["compress"].is_string())
    compress = metadata["logging"]["compress"].get<std::string>();
  auto compression = log::Compression::parse(compress);
  if (!compression && options.compress) return compression.status();
  log::WriterOptions writer;
  writer.path = options.output;
  writer.fsync = log::FsyncPolicy::none();  // close syncs whatever the policy
  writer.offline = true;                    // zstd: wait for the compressor, no raw batches
  writer.compression = compression ? *compression : log::Compression{};
  // The original slab size: every record that fitted there fits again.
  const auto slab = metadata.find("slab_size");
  if (slab != metadata.end() && slab->is_number_unsigned()) {
    const uint64_t size = slab->get<uint64_t>();
    if (size >= log::kMinSlabSize && (size & (size - 1)) == 0) writer.slab_size = size;
  }
  writer.batch_bytes = std::min<uint64_t>(writer.batch_bytes, writer.slab_size / 4);
  return writer;
}

// The original metadata, plus where it came from and which copperlists
// were already missing: check reports those as known losses, not damage.
// The losses an earlier recovery declared stay declared, so recovering a
// recovered log gives the same verdict again (idempotent).
json recovered_metadata(log::LogReader& reader, const Health& health) {
  json metadata = reader.metadata();
  Gaps lost = health.known_gaps;
  lost.insert(lost.end(), health.missing_cls.begin(), health.missing_cls.end());
  metadata["recovered_from"] = {{"run_id", reader.header().run_id_hex},
                                {"path", reader.path().string()},
                                {"created_unix_ns", reader.header().created_unix_ns},
                                {"missing_cls", merge_gaps(std::move(lost))}};
  return metadata;
}

Status write_strings_and_events(log::LogWriter& writer, const log::CheckReport& report) {
  std::vector<log::TextString> strings;
  for (const auto& s : report.strings) strings.push_back(s.view());
  return writer.write_strings(strings);
}

// Error and signal events say something about the run; start and stop are
// the writer's own. Their time becomes the time of recovery.
void copy_events(log::LogWriter& writer, const log::CheckReport& report) {
  for (const auto& e : report.events)
    if (e.kind == log::EventKind::error || e.kind == log::EventKind::signal)
      (void)writer.write_event(e.kind, e.cl_id, e.message);
}

Result<RecoverResult> rewrite(log::LogReader& reader, log::LogWriter& writer) {
  const log::CheckReport& report = reader.check();
  if (Status s = write_strings_and_events(writer, report); !s) return s;
  Held held = hold(reader);
  Rewriter rewriter(writer, held);
  Progress progress(report.cl_count);
  Status status;
  reader.for_each_copperlist([&](const log::CopperListView& cl) {
    status = rewriter.copperlist(cl);
    progress.add();
    return status.ok();
  });
  if (status) status = rewriter.keyframes_up_to(UINT64_MAX);
  if (status) status = rewriter.text_up_to(UINT64_MAX);
  if (!status) return status;
  // The copperlist a task failed in, so the recovered log still replays
  // that failure.
  if (report.failure)
    if (Status s = writer.write_recorded_failure(*report.failure); !s) return s;
  copy_events(writer, report);
  return rewriter.result;
}

// The recovered log, written and closed at options.path.
Result<RecoverResult> write_recovered(log::LogReader& reader, const log::WriterOptions& options, const json& metadata,
                                      const std::string& input) {
  auto writer = log::LogWriter::create_from_metadata(options, metadata);
  if (!writer) return writer.status();
  auto result = rewrite(reader, **writer);
  const Status closed = (*writer)->close(fmt::format("recovered from {}", input));
  if (!result) return result.status();
  if (!closed) return closed;
  return result;
}

std::string lost_text(const Health& health) {
  std::string out;
  for (const auto& line : health.problems) out += "  lost or doubtful: " + line + "\n";
  if (!health.clean_close)
    out += fmt::format("  anything recorded after copperlist {} is not in the file\n",
                       health.last_cl_id ? fmt::format("{}", *health.last_cl_id) : std::string("(none)"));
  if (out.empty()) out = "  nothing was lost\n";
  for (const auto& [first, last] : health.known_gaps)
    out += fmt::format("  copperlists {}..{} were lost before the input was recovered (still declared lost)\n", first,
                       last);
  return out;
}

}  // namespace

int run_recover(const RecoverOptions& options, Io io) {
  auto reader = log::LogReader::open(options.log);
  Health health = reader ? assess(*reader) : unreadable(std::string(reader.error_message()));
  if (health.verdict == HealthVerdict::unreadable) {
    fmt::print(io.err, "error: {}\n", health.error);
    return kExitCannotRun;
  }
  auto writer_opts = writer_options(options, reader->metadata());
  if (!writer_opts) {
    fmt::print(io.err, "error: {}\n", writer_opts.error_message());
    return kExitCannotRun;
  }
  // Written aside and renamed into place when closed: a failed recovery
  // leaves no half log and whatever was at OUT untouched.
  auto output = OutputFile::create(options.output, options.force ? Overwrite::allow : Overwrite::refuse);
  if (!output) {
    fmt::print(io.err, "error: {}\n", output.error_message());
    return exit_code_for(output.status());
  }
  writer_opts->path = output->temporary();
  writer_opts->overwrite = true;  // the empty temporary OutputFile made
  auto result = write_recovered(*reader, *writer_opts, recovered_metadata(*reader, health), options.log);
  const Status committed = result ? output->commit() : result.status();
  if (!committed) {
    fmt::print(io.err, "error: writing {}: {}\n", options.output, committed.message());
    return exit_code_for(committed);
  }
  if (options.json) {
    json out = health_json(health, &*reader);
    out["output"] = options.output;
    out["written"] = {{"copperlists", result->copperlists},
                      {"text_entries", result->text_entries},
                      {"keyframes", result->keyframes}};
    io.out << out.dump(2, ' ', false, json::error_handler_t::replace) << "\n";
  } else {
    io.out << fmt::format("recovered {} copperlists, {} text entries, {} keyframes from {} into {} (closed cleanly)\n",
                          result->copperlists, result->text_entries, result->keyframes, options.log, options.output);
    io.out << lost_text(health);
  }
  return exit_code(health.verdict);
}

}  // namespace copper::logtool
