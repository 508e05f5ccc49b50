#include "trace.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>
#include <ostream>
#include <vector>

#include <nlohmann/json.hpp>

#include "copper/stats.hpp"
#include "selection.hpp"

namespace copper::logtool {
namespace {

constexpr int kPid = 1;
// A task's spans go on its own track; a stateless task may run several
// copperlists at once, and overlapping spans on one track would nest, so
// those go on extra lanes of the task: tid = task * kLanes + lane + 1.
constexpr size_t kLanes = 64;

std::string json_string(const std::string& text) {
  return nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// The nanoseconds from `from` to `to` as microseconds with three decimals,
// from integers. Exact for any two stamps: a damaged log's stamps may lie
// further apart than an int64 reaches, so the difference is taken unsigned.
std::string micros_between(int64_t from, int64_t to) {
  const bool negative = to < from;
  const uint64_t m = negative ? static_cast<uint64_t>(from) - static_cast<uint64_t>(to)
                              : static_cast<uint64_t>(to) - static_cast<uint64_t>(from);
  return fmt::format("{}{}.{:03}", negative ? "-" : "", m / 1000, m % 1000);
}

// Halfway through a span (start <= end), without overflow.
int64_t midpoint(int64_t start, int64_t end) {
  return static_cast<int64_t>(static_cast<uint64_t>(start) +
                              (static_cast<uint64_t>(end) - static_cast<uint64_t>(start)) / 2);
}

struct Span {
  size_t task;
  int64_t start, end;
  TaskStatus status;
  size_t lane = 0;
};

class TraceWriter {
 public:
  TraceWriter(std::vector<std::string> tasks, std::ostream& out) : tasks_(std::move(tasks)), out_(out) {
    lane_end_.resize(tasks_.size());
  }

  void copperlist(const log::CopperListView& cl) {
    spans_.clear();
    for (size_t t = 0; t < cl.tasks.size() && t < tasks_.size(); ++t)
      if (cl.tasks[t].status != TaskStatus::not_run)
        spans_.push_back(
            {t, cl.tasks[t].start_ns, std::max(cl.tasks[t].start_ns, cl.tasks[t].end_ns), cl.tasks[t].status});
    if (spans_.empty()) return;
    if (!origin_)
      origin_ = std::min_element(spans_.begin(), spans_.end(), [](const Span& a, const Span& b) {
                  return a.start < b.start;
                })->start;
    std::sort(spans_.begin(), spans_.end(), [](const Span& a, const Span& b) { return a.start < b.start; });
    for (Span& span : spans_) {
      span.lane = lane_for(span);
      slice(span, cl.id);
    }
    if (spans_.size() > 1) flow(cl.id);
    ++counts.copperlists;
  }

  void finish() {
    for (size_t t = 0; t < tasks_.size(); ++t)
      for (size_t lane = 0; lane < lane_end_[t].size(); ++lane) {
        const std::string name = lane == 0 ? tasks_[t] : fmt::format("{} ({})", tasks_[t], lane + 1);
        event(fmt::format(R"({{"name":"thread_name","ph":"M","pid":{},"tid":{},"args":{{"name":{}}}}})", kPid,
                          tid(t, lane), json_string(name)));
        event(fmt::format(R"({{"name":"thread_sort_index","ph":"M","pid":{},"tid":{},"args":{{"sort_index":{}}}}})",
                          kPid, tid(t, lane), tid(t, lane)));
      }
    event(fmt::format(R"({{"name":"process_name","ph":"M","pid":{},"args":{{"name":"copper"}}}})", kPid));
  }

  TraceCounts counts;

 private:
  static size_t tid(size_t task, size_t lane) { return task * kLanes + lane + 1; }

  size_t lane_for(const Span& span) {
    auto& lanes = lane_end_[span.task];
    for (size_t lane = 0; lane < lanes.size(); ++lane)
      if (lanes[lane] <= span.start) {
        lanes[lane] = span.end;
        return lane;
      }
    if (lanes.size() == kLanes) return kLanes - 1;  // absurd overlap: share the last lane
    lanes.push_back(span.end);
    return lanes.size() - 1;
  }

  void slice(const Span& span, uint64_t cl_id) {
    event(fmt::format(
        R"({{"name":{},"cat":"task","ph":"X","pid":{},"tid":{},"ts":{},"dur":{},"args":{{"cl":{},"status":"{}"}}}})",
        json_string(tasks_[span.task]), kPid, tid(span.task, span.lane), micros_between(*origin_, span.start),
        micros_between(span.start, span.end), cl_id, to_string(span.status)));
    ++counts.spans;
  }

  // One arrow chain through the copperlist's spans in start order; each
  // step sits inside its span ("bp":"e" binds it to the enclosing slice).
  void flow(uint64_t cl_id) {
    for (size_t i = 0; i < spans_.size(); ++i) {
      const Span& span = spans_[i];
      const char* phase = i == 0 ? "s" : (i + 1 == spans_.size() ? "f" : "t");
      event(fmt::format(R"({{"name":"cl {}","cat":"copperlist","ph":"{}","id":{},"pid":{},"tid":{},"ts":{},"bp":"e"}})",
                        cl_id, phase, cl_id, kPid, tid(span.task, span.lane),
                        micros_between(*origin_, midpoint(span.start, span.end))));
    }
    ++counts.flows;
  }

  void event(const std::string& text) {
    out_ << (first_ ? "\n" : ",\n") << text;
    first_ = false;
  }

  std::vector<std::string> tasks_;
  std::ostream& out_;
  std::vector<std::vector<int64_t>> lane_end_;  // by task: when each lane's last span ends
  std::vector<Span> spans_;
  std::optional<int64_t> origin_;
  bool first_ = true;
};

}  // namespace

TraceCounts write_trace(log::LogReader& reader, const ClRange& range, std::ostream& out) {
  out << R"({"displayTimeUnit":"ns","otherData":{"run_id":)" << json_string(reader.header().run_id_hex)
      << R"(},"traceEvents":[)";
  TraceWriter writer(task_ids(reader), out);
  Progress progress(expected_cls(reader));
  for_each_in_range(reader, range, [&](const log::CopperListView& cl) {
    writer.copperlist(cl);
    progress.add();
    return static_cast<bool>(out);
  });
  writer.finish();
  out << "\n]}\n";
  return writer.counts;
}

int run_trace(const TraceOptions& options, Io io) {
  auto reader = open_decodable_log(options.log, io.err);
  if (!reader) return kExitCannotRun;
  auto output = Output::open(options.output, io.out);
  if (!output) {
    fmt::print(io.err, "error: {}\n", output.error_message());
    return kExitCannotRun;
  }
  const TraceCounts counts = write_trace(*reader, options.range, output->stream());
  if (Status s = output->finish(); !s) {
    fmt::print(io.err, "error: {}\n", s.message());
    return kExitCannotRun;
  }
  if (!options.output.empty() && options.output != "-")
    fmt::print(io.out, "{}: {} spans of {} copperlists, {} flows; open it in https://ui.perfetto.dev\n", options.output,
               counts.spans, counts.copperlists, counts.flows);
  return kExitOk;
}

}  // namespace copper::logtool
