#include "diff.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>

#include "copper/json_diff.hpp"
#include "selection.hpp"

namespace copper::logtool {
namespace {

using nlohmann::json;

struct SlotPair {
  std::string task;
  const SelectedSlot* a = nullptr;
  const SelectedSlot* b = nullptr;
};

std::string schema_hash(const log::LogReader& reader, size_t slot) {
  const json& slots = reader.metadata()["slots"];
  const json& entry = slots[slot];
  return entry.is_object() && entry.contains("schema_hash") ? entry["schema_hash"].dump() : "";
}

class Differ {
 public:
  Differ(log::LogReader& a, log::LogReader& b, bool timing) : a_(a), b_(b), timing_(timing) {}

  Status prepare() {
    auto a = select(a_, {});
    auto b = select(b_, {});
    if (!a) return a.status();
    if (!b) return b.status();
    sel_a_ = std::move(*a);
    sel_b_ = std::move(*b);
    pair_slots();
    return {};
  }

  DiffResult run() {
    auto cursor_a = a_.copperlists();
    auto cursor_b = b_.copperlists();
    Progress progress(std::max(expected_cls(a_), expected_cls(b_)));
    const log::CopperListView* x = cursor_a.next();
    const log::CopperListView* y = cursor_b.next();
    while (x || y) {
      if (x && (!y || x->id < y->id)) {
        only(*x, result_.only_a, "present", "absent");
        x = cursor_a.next();
      } else if (y && (!x || y->id < x->id)) {
        only(*y, result_.only_b, "absent", "present");
        y = cursor_b.next();
      } else {
        compare(*x, *y);
        x = cursor_a.next();
        y = cursor_b.next();
      }
      progress.add();
    }
    return std::move(result_);
  }

 private:
  void pair_slots() {
    for (const auto& sa : sel_a_.slots) {
      const auto sb = std::find_if(sel_b_.slots.begin(), sel_b_.slots.end(),
                                   [&](const SelectedSlot& s) { return s.producer == sa.producer; });
      if (sb == sel_b_.slots.end()) {
        result_.graph_differences.push_back(fmt::format("task \"{}\" has an output only in a", sa.producer));
        continue;
      }
      if (schema_hash(a_, sa.index) != schema_hash(b_, sb->index))
        result_.graph_differences.push_back(fmt::format("task \"{}\" outputs different message types", sa.producer));
      pairs_.push_back({sa.producer, &sa, &*sb});
    }
    for (const auto& sb : sel_b_.slots)
      if (std::none_of(pairs_.begin(), pairs_.end(), [&](const SlotPair& p) { return p.b == &sb; }))
        result_.graph_differences.push_back(fmt::format("task \"{}\" has an output only in b", sb.producer));
    for (const auto& id : sel_a_.task_ids)
      if (std::find(sel_b_.task_ids.begin(), sel_b_.task_ids.end(), id) == sel_b_.task_ids.end())
        result_.graph_differences.push_back(fmt::format("task \"{}\" is only in a", id));
    for (const auto& id : sel_b_.task_ids)
      if (std::find(sel_a_.task_ids.begin(), sel_a_.task_ids.end(), id) == sel_a_.task_ids.end())
        result_.graph_differences.push_back(fmt::format("task \"{}\" is only in b", id));
  }

  void note(LogDivergence divergence) {
    if (!result_.first) result_.first = std::move(divergence);
  }

  void only(const log::CopperListView& cl, uint64_t& counter, const char* in_a, const char* in_b) {
    ++counter;
    note({cl.id, "-", "copperlist", in_a, in_b});
  }

  // The message field where two slots differ; decoded only when bytes differ.
  std::optional<LogDivergence> slot_difference(uint64_t id, const SlotPair& pair, const log::SlotData& x,
                                               const log::SlotData& y) {
    if (timing_ && x.time_of_validity_ns != y.time_of_validity_ns)
      return LogDivergence{id, pair.task, "time_of_validity_ns", x.time_of_validity_ns, y.time_of_validity_ns};
    if (std::equal(x.bytes.begin(), x.bytes.end(), y.bytes.begin(), y.bytes.end())) return std::nullopt;
    bool failed = false;
    const json jx = slot_json(*pair.a, x, BytesAs::numbers, failed);
    const json jy = slot_json(*pair.b, y, BytesAs::numbers, failed);
    auto difference = first_json_difference(jx, jy);
    if (!difference)  // equal values, different bytes: -0.0 against 0.0, NaN payloads
      return LogDivergence{id, pair.task, "message", jx.value("message", json()), jy.value("message", json())};
    std::string field = difference->path;
    if (field.rfind("message.", 0) == 0) field = field.substr(8);
    return LogDivergence{id, pair.task, field, difference->left, difference->right};
  }

  void compare(const log::CopperListView& x, const log::CopperListView& y) {
    ++result_.compared;
    bool differs = false;
    if (timing_ && x.time_ns != y.time_ns) {
      differs = true;
      note({x.id, "-", "time_ns", x.time_ns, y.time_ns});
    }
    for (const SlotPair& pair : pairs_) {
      if (pair.a->index >= x.slots.size() || pair.b->index >= y.slots.size()) continue;
      auto d = slot_difference(x.id, pair, x.slots[pair.a->index], y.slots[pair.b->index]);
      if (!d) continue;
      differs = true;
      ++result_.per_task[pair.task];
      note(std::move(*d));
    }
    differs = compare_status(x, y) || differs;
    if (differs) ++result_.differing;
    if (timing_) {
      add_timing(result_.timing_a, sel_a_, x);
      add_timing(result_.timing_b, sel_b_, y);
    }
  }

  // A task that failed in one log and not in the other.
  bool compare_status(const log::CopperListView& x, const log::CopperListView& y) {
    bool differs = false;
    for (size_t i = 0; i < x.tasks.size() && i < sel_a_.task_ids.size(); ++i) {
      const auto j = std::find(sel_b_.task_ids.begin(), sel_b_.task_ids.end(), sel_a_.task_ids[i]);
      const size_t k = static_cast<size_t>(j - sel_b_.task_ids.begin());
      if (j == sel_b_.task_ids.end() || k >= y.tasks.size() || x.tasks[i].status == y.tasks[k].status) continue;
      differs = true;
      note({x.id, sel_a_.task_ids[i], "status", to_string(x.tasks[i].status),
            to_string(y.tasks[k].status)});
    }
    return differs;
  }

  static void add_timing(TaskTimings& timings, const Selection& selection, const log::CopperListView& cl) {
    fold_spans(
        std::min(cl.tasks.size(), selection.task_ids.size()),
        [&](size_t i) {
          const log::TaskTiming& t = cl.tasks[i];
          return TaskSpan{t.start_ns, t.end_ns, t.status == TaskStatus::ok};
        },
        [&](size_t i, Nanos duration) { timings.tasks[selection.task_ids[i]].record(duration); }, timings.end_to_end);
  }

  log::LogReader& a_;
  log::LogReader& b_;
  bool timing_;
  Selection sel_a_, sel_b_;
  std::vector<SlotPair> pairs_;
  DiffResult result_;
};

std::string value_text(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string histogram_text(const LatencyHistogram& h) {
  return fmt::format("{:.1f}/{:.1f}/{:.1f}", static_cast<double>(h.percentile(0.5)) / 1e3,
                     static_cast<double>(h.percentile(0.99)) / 1e3, static_cast<double>(h.max()) / 1e3);
}

std::string timing_table(const DiffResult& result) {
  std::string out = fmt::format("{:<16} {:>26} {:>26} {:>8}\n", "process time", "a p50/p99/max (us)",
                                "b p50/p99/max (us)", "b/a p50");
  auto row = [&](const std::string& name, const LatencyHistogram& a, const LatencyHistogram& b) {
    const double ratio =
        a.percentile(0.5) ? static_cast<double>(b.percentile(0.5)) / static_cast<double>(a.percentile(0.5)) : 0.0;
    out += fmt::format("{:<16} {:>26} {:>26} {:>8.2f}\n", name, histogram_text(a), histogram_text(b), ratio);
  };
  static const LatencyHistogram empty;
  for (const auto& [task, a] : result.timing_a.tasks) {
    const auto b = result.timing_b.tasks.find(task);
    row(task, a, b == result.timing_b.tasks.end() ? empty : b->second);
  }
  row("end to end", result.timing_a.end_to_end, result.timing_b.end_to_end);
  return out;
}

json histogram_json(const LatencyHistogram& h) {
  return {{"count", h.count()}, {"p50_ns", h.percentile(0.5)}, {"p99_ns", h.percentile(0.99)}, {"max_ns", h.max()}};
}

json timings_json(const TaskTimings& timings) {
  json tasks = json::object();
  for (const auto& [task, h] : timings.tasks) tasks[task] = histogram_json(h);
  return {{"tasks", std::move(tasks)}, {"end_to_end", histogram_json(timings.end_to_end)}};
}

}  // namespace

DiffResult diff_logs(log::LogReader& a, log::LogReader& b, bool timing) {
  Differ differ(a, b, timing);
  if (Status s = differ.prepare(); !s) {
    DiffResult result;
    result.graph_differences.push_back(std::string(s.message()));
    return result;
  }
  return differ.run();
}

std::string diff_text(const DiffResult& result, const DiffOptions& options) {
  std::string out = fmt::format("a: {}\nb: {}\n", options.a, options.b);
  for (const auto& line : result.graph_differences) out += "graphs differ: " + line + "\n";
  if (result.first) {
    const LogDivergence& d = *result.first;
    out += fmt::format("first divergence: copperlist {}, task \"{}\", field {}: a {}, b {}\n", d.cl_id, d.task, d.field,
                       value_text(d.a), value_text(d.b));
  }
  out += fmt::format("compared {} copperlists: {} differ", result.compared, result.differing);
  std::string tasks;
  for (const auto& [task, count] : result.per_task)
    tasks += fmt::format("{}{} {}", tasks.empty() ? "" : ", ", task, count);
  if (!tasks.empty()) out += " (" + tasks + ")";
  out += fmt::format("; only in a: {}, only in b: {}\n", result.only_a, result.only_b);
  if (options.timing) out += timing_table(result);
  out += fmt::format("verdict: {}\n", result.same() ? "same" : "DIFFERENT");
  return out;
}

json diff_json(const DiffResult& result, const DiffOptions& options) {
  json out = {{"a", options.a},
              {"b", options.b},
              {"same", result.same()},
              {"graph_differences", result.graph_differences},
              {"compared", result.compared},
              {"differing", result.differing},
              {"only_in_a", result.only_a},
              {"only_in_b", result.only_b},
              {"differing_per_task", result.per_task},
              {"first_divergence", nullptr}};
  if (result.first) {
    const LogDivergence& d = *result.first;
    out["first_divergence"] = {{"cl_id", d.cl_id}, {"task", d.task}, {"field", d.field}, {"a", d.a}, {"b", d.b}};
  }
  if (options.timing) out["timing"] = {{"a", timings_json(result.timing_a)}, {"b", timings_json(result.timing_b)}};
  return out;
}

int run_diff(const DiffOptions& options, Io io) {
  auto a = open_log(options.a, io.err);
  if (!a) return kExitCannotRun;
  auto b = open_log(options.b, io.err);
  if (!b) return kExitCannotRun;
  for (const auto* reader : {&*a, &*b}) {
    if (!reader->metadata().is_object()) {
      fmt::print(io.err, "error: {}: the metadata record is unreadable: nothing can be compared\n",
                 reader->path().string());
      return kExitCannotRun;
    }
  }
  const DiffResult result = diff_logs(*a, *b, options.timing);
  if (options.json)
    io.out << diff_json(result, options).dump(2, ' ', false, json::error_handler_t::replace) << "\n";
  else
    io.out << diff_text(result, options);
  return result.same() ? kExitOk : kExitFailed;
}

}  // namespace copper::logtool
