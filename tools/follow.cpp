#include "follow.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <chrono>
#include <map>
#include <ostream>
#include <unordered_map>

#include "check.hpp"
#include "copper/runtime.hpp"
#include "csv.hpp"
#include "json_text.hpp"
#include "log/record_parse.hpp"

namespace copper::logtool {

namespace {

using Clock = std::chrono::steady_clock;

// How often stats --follow redraws its table or prints a JSON line.
constexpr auto kStatsRefresh = std::chrono::seconds(1);
// Output is written out at least this often while records land fast.
constexpr auto kFlushEvery = std::chrono::milliseconds(100);

// Text: entries wait for their copperlist's time; the times of the last
// copperlists are kept for entries that come after them (uncompressed logs).
constexpr size_t kKeptTimes = 4096;

// Holds output and writes it when asked, or when it has waited long enough.
class PacedOutput {
 public:
  explicit PacedOutput(std::ostream& out) : out_(out) {}
  std::string& buffer() { return buffer_; }
  void flush() {
    out_.write(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    out_.flush();
    buffer_.clear();
    last_ = Clock::now();
  }
  void maybe_flush() {
    if (buffer_.size() >= (1u << 20) || Clock::now() - last_ >= kFlushEvery) flush();
  }

 private:
  std::ostream& out_;
  std::string buffer_;
  Clock::time_point last_ = Clock::now();
};

}  // namespace

log::FollowOptions follow_options(std::function<void()> idle) {
  log::FollowOptions options;
  options.stop = [] { return stop_requested(); };
  options.idle = std::move(idle);
  return options;
}

std::optional<log::LogFollower> open_follower(const std::string& path, const log::FollowOptions& options,
                                              std::ostream& err) {
  auto follower = log::LogFollower::open(path, options);
  if (!follower) {
    if (!stop_requested()) fmt::print(err, "error: {}\n", follower.error_message());
    return std::nullopt;
  }
  if (metadata_unreadable(follower->reader(), err)) return std::nullopt;
  return std::move(*follower);
}

int not_followed() { return stop_requested() ? kExitOk : kExitCannotRun; }

int follow_exit(log::LogFollower& follower, const std::string& path, std::ostream& err) {
  // Stopped by Ctrl-C, or by the caller (--to reached) while the log goes on.
  if (follower.end() == log::FollowEnd::stopped || follower.end() == log::FollowEnd::running) return kExitOk;
  const Health health = assess(follower.final_reader());
  if (health.verdict == HealthVerdict::healthy) return kExitOk;
  fmt::print(err, "{}: the recorder ended{}: check: {}, {} copperlists\n", path,
             health.clean_close ? "" : " without closing the log", to_string(health.verdict), health.copperlists);
  return exit_code(health.verdict);
}

std::string follow_refusal(ExportFormat format) {
  switch (format) {
    case ExportFormat::jsonl:
    case ExportFormat::csv: return "";
    case ExportFormat::json:
      return "--follow writes copperlists as they land: use --format jsonl or csv (json is one document, written "
             "whole)";
    case ExportFormat::mcap: return "";  // export_mcap.cpp: the file is completed when the follow ends
  }
  return "--follow does not support this format";
}

int run_export_follow(const ExportOptions& options, Io io) {
  if (const std::string why = follow_refusal(options.format); !why.empty()) {
    fmt::print(io.err, "error: {}\n", why);
    return kExitCannotRun;
  }
  if (options.format == ExportFormat::mcap) return run_export_mcap(options, io);
  auto output = Output::open(options.output, io.out);
  if (!output) {
    fmt::print(io.err, "error: {}\n", output.error_message());
    return exit_code_for(output.status());
  }
  PacedOutput sink(output->stream());
  auto follower = open_follower(options.log, follow_options([&] { sink.flush(); }), io.err);
  if (!follower) return not_followed();
  auto selection = select(follower->reader(), options.tasks);
  if (!selection) {
    fmt::print(io.err, "error: {}\n", selection.error_message());
    return kExitCannotRun;
  }
  CopperListJson to_json(std::move(*selection), options.blobs ? BytesAs::base64 : BytesAs::omitted, options.metadata);
  const CsvTable table(to_json.selection(), options.metadata, options.blobs);
  if (options.format == ExportFormat::csv) table.append_header(sink.buffer());
  while (const log::CopperListView* cl = follower->next_copperlist()) {
    if (options.range.past_end(cl->id)) break;  // --to reached: done, as without --follow
    if (!options.range.contains(cl->id)) continue;
    const nlohmann::json document = to_json(*cl);
    if (options.format == ExportFormat::csv) {
      table.append_row(sink.buffer(), document);
    } else {
      append_json(sink.buffer(), document);
      sink.buffer() += '\n';
    }
    sink.maybe_flush();
  }
  sink.flush();
  if (Status s = output->finish(); !s) {
    fmt::print(io.err, "error: {}\n", s.message());
    return kExitFailed;
  }
  return follow_exit(*follower, options.log, io.err);
}

namespace {

// text --follow: lines in the order `text` prints them, each printed once
// its copperlist's time is known (its copperlists record landed) or, for
// a copperlist the log never shows, at the end.
class TextFollow {
 public:
  TextFollow(const TextOptions& options, std::vector<std::string> tasks, std::string& out)
      : options_(options), tasks_(std::move(tasks)), out_(out) {}

  void record(const log::RecordView& record) {
    switch (static_cast<log::RecordType>(record.type)) {
      case log::RecordType::string: {
        log::StringEntry entry;
        if (log::detail::parse_string(record.payload, entry)) strings_[entry.id] = std::move(entry);
        return;
      }
      case log::RecordType::text: {
        if (!log::detail::parse_text(record.payload, entries_)) return;
        for (const log::TextEntry& entry : entries_) {
          const auto string = strings_.find(entry.string_id);
          hold(text_line(entry, string == strings_.end() ? nullptr : &string->second, tasks_, std::nullopt));
        }
        return;
      }
      case log::RecordType::event: {
        log::Event event;
        if (!log::detail::parse_event(record.payload, event)) return;
        if (auto line = event_line(event, std::nullopt)) events_.push_back(std::move(*line));
        return;
      }
      case log::RecordType::failure: {
        log::RecordedFailure failure;
        if (log::detail::parse_failure(record.payload, std::nullopt, failure))
          note_time(failure.cl_id, failure.time_ns);
        return;
      }
      default: return;
    }
  }

  // Copperlist `id` landed: the lines of copperlists up to it go out.
  void copperlist(uint64_t id, int64_t time_ns) {
    note_time(id, time_ns);
    release(id);
  }

  // The log ended: every line left, then the events, in copperlist order.
  void finish() {
    for (TextLine& line : events_) held_.emplace(line.cl_id, std::move(line));
    events_.clear();
    release(UINT64_MAX);
  }

 private:
  void note_time(uint64_t id, int64_t time_ns) {
    times_[id] = time_ns;
    if (times_.size() > kKeptTimes) times_.erase(times_.begin());
  }
  void hold(TextLine line) {
    if (!line_shown(options_, line)) return;
    const uint64_t id = line.cl_id;
    held_.emplace(id, std::move(line));
    if (last_released_ && id <= *last_released_) release(*last_released_);
  }
  void release(uint64_t up_to) {
    last_released_ = up_to;
    while (!held_.empty() && held_.begin()->first <= up_to) {
      TextLine& line = held_.begin()->second;
      const auto time = times_.find(line.cl_id);
      if (time != times_.end()) line.time_ns = time->second;
      append_line(options_, line, out_);
      held_.erase(held_.begin());
    }
  }

  const TextOptions& options_;
  std::vector<std::string> tasks_;
  std::string& out_;
  std::unordered_map<uint32_t, log::StringEntry> strings_;
  std::vector<log::TextEntry> entries_;
  std::multimap<uint64_t, TextLine> held_;  // by copperlist id, in arrival order within one
  std::vector<TextLine> events_;
  std::map<uint64_t, int64_t> times_;
  std::optional<uint64_t> last_released_;
};

}  // namespace

int run_text_follow(const TextOptions& options, Io io) {
  PacedOutput sink(io.out);
  auto follower = open_follower(options.log, follow_options([&] { sink.flush(); }), io.err);
  if (!follower) return not_followed();
  if (unknown_task(options, task_ids(follower->reader()), io.err)) return kExitCannotRun;
  TextFollow lines(options, task_ids(follower->reader()), sink.buffer());
  const auto other = [&](const log::RecordView& record) { lines.record(record); };
  while (const log::CopperListView* cl = follower->next_copperlist(other)) {
    lines.copperlist(cl->id, cl->time_ns);
    sink.maybe_flush();
  }
  lines.finish();
  sink.flush();
  return follow_exit(*follower, options.log, io.err);
}

namespace {

void print_stats(const LogStats& stats, bool terminal, std::ostream& out) {
  if (terminal)
    out << "\x1b[H\x1b[2J" << stats_text(stats);  // home, clear: the table redrawn in place
  else
    out << stats_json(stats).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  out.flush();
}

}  // namespace

int run_stats_follow(const StatsOptions& options, Io io) {
  auto last = Clock::now();
  std::optional<LogStats> stats;  // once the log is open
  const auto refresh = [&] {
    if (!stats || Clock::now() - last < kStatsRefresh) return;
    print_stats(*stats, options.terminal, io.out);
    last = Clock::now();
  };
  auto follower = open_follower(options.log, follow_options(refresh), io.err);
  if (!follower) return not_followed();
  stats = empty_stats(follower->reader());
  while (const log::CopperListView* cl = follower->next_copperlist()) {
    if (options.range.past_end(cl->id)) break;
    if (options.range.contains(cl->id)) add_copperlist(*stats, *cl);
    refresh();
  }
  print_stats(*stats, options.terminal, io.out);
  return follow_exit(*follower, options.log, io.err);
}

}  // namespace copper::logtool
