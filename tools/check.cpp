#include "check.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>

namespace copper::logtool {

const char* to_string(HealthVerdict verdict) {
  switch (verdict) {
    case HealthVerdict::healthy: return "healthy";
    case HealthVerdict::damaged: return "damaged";
    case HealthVerdict::unreadable: return "unreadable";
  }
  return "unknown";
}

int exit_code(HealthVerdict verdict) {
  switch (verdict) {
    case HealthVerdict::healthy: return kExitOk;
    case HealthVerdict::damaged: return kExitDamaged;
    case HealthVerdict::unreadable: return kExitCannotRun;
  }
  return kExitCannotRun;
}

Health unreadable(std::string error) {
  Health health;
  health.verdict = HealthVerdict::unreadable;
  health.error = std::move(error);
  return health;
}

Gaps merge_gaps(Gaps gaps) {
  std::sort(gaps.begin(), gaps.end());
  Gaps merged;
  for (const auto& gap : gaps) {
    if (gap.first > gap.second) continue;
    const bool joins = !merged.empty() && (merged.back().second == UINT64_MAX || gap.first <= merged.back().second + 1);
    if (joins)
      merged.back().second = std::max(merged.back().second, gap.second);
    else
      merged.push_back(gap);
  }
  return merged;
}

// The gaps a recovered log's metadata declares lost before its recovery
// (recovered_from.missing_cls); empty when it declares none or not as
// recover writes them.
static Gaps declared_gaps(const nlohmann::json& metadata) {
  const auto from = metadata.find("recovered_from");
  if (from == metadata.end() || !from->is_object() || !from->contains("missing_cls")) return {};
  try {
    return (*from)["missing_cls"].get<Gaps>();
  } catch (const nlohmann::json::exception&) {
    return {};  // not what recover writes: every gap stays a problem
  }
}

// Splits each gap into the parts the metadata declares lost before a
// recovery (known_gaps) and the rest (still missing_cls): a gap next to a
// known one is partly new damage.
void separate_known_gaps(const nlohmann::json& metadata, Health& health) {
  const Gaps declared = merge_gaps(declared_gaps(metadata));
  if (declared.empty()) return;
  Gaps unexplained;
  for (auto [first, last] : health.missing_cls) {
    for (const auto& [known_first, known_last] : declared) {
      if (known_last < first || known_first > last) continue;
      if (known_first > first) unexplained.emplace_back(first, known_first - 1);
      health.known_gaps.emplace_back(std::max(first, known_first), std::min(last, known_last));
      if (known_last >= last) {
        first = last + 1;  // nothing of this gap is left
        break;
      }
      first = known_last + 1;
    }
    if (first <= last) unexplained.emplace_back(first, last);
  }
  health.missing_cls = std::move(unexplained);
}

namespace {

void walk_ids(log::LogReader& reader, Health& health) {
  std::optional<uint64_t> previous;
  reader.for_each_copperlist([&](const log::CopperListView& cl) {
    ++health.copperlists;  // ids increase: the reader ends a log where they go back
    if (previous && cl.id > *previous + 1) health.missing_cls.emplace_back(*previous + 1, cl.id - 1);
    if (!health.first_cl_id) health.first_cl_id = cl.id;
    health.last_cl_id = cl.id;
    previous = cl.id;
    return true;
  });
}

void list_problems(const log::CheckReport& report, Health& health) {
  for (const auto& d : report.damage)
    health.problems.push_back(d.length ? fmt::format("damaged: offset {}, {} bytes: {}", d.offset, d.length, d.reason)
                                       : fmt::format("damaged: at offset {}: {}", d.offset, d.reason));
  for (const auto& [first, last] : health.missing_cls)
    health.problems.push_back(first == last ? fmt::format("missing copperlist {}", first)
                                            : fmt::format("missing copperlists {}..{}", first, last));
  if (!health.clean_close) health.problems.push_back("not closed cleanly (no footer): the recording was cut short");
}

}  // namespace

Health assess(log::LogReader& reader) {
  Health health;
  const log::CheckReport& report = reader.check();
  // A recorder stopped before its first record leaves the header alone.
  if (!reader.metadata().is_object() && report.verified_records == 0 && report.damage.empty()) {
    health.problems.push_back("empty: the recorder stopped before it wrote anything");
    health.problems.push_back("not closed cleanly (no footer): the recording was cut short");
    health.verdict = HealthVerdict::damaged;
    return health;
  }
  if (!reader.metadata().is_object()) return unreadable(metadata_problem(reader));
  health.clean_close = reader.header().clean_close && reader.has_footer();
  walk_ids(reader, health);
  separate_known_gaps(reader.metadata(), health);
  list_problems(report, health);
  health.verdict = health.problems.empty() ? HealthVerdict::healthy : HealthVerdict::damaged;
  return health;
}

nlohmann::json health_json(const Health& health, log::LogReader* reader) {
  using nlohmann::json;
  json out = {{"verdict", to_string(health.verdict)},
              {"exit_code", exit_code(health.verdict)},
              {"error", health.error.empty() ? json(nullptr) : json(health.error)},
              {"clean_close", health.clean_close},
              {"copperlists", health.copperlists},
              {"first_cl_id", health.first_cl_id ? json(*health.first_cl_id) : json(nullptr)},
              {"last_cl_id", health.last_cl_id ? json(*health.last_cl_id) : json(nullptr)},
              {"missing_cls", health.missing_cls},
              {"known_gaps", health.known_gaps},
              {"problems", health.problems},
              {"damage", json::array()}};
  if (reader == nullptr || health.verdict == HealthVerdict::unreadable) return out;
  const log::CheckReport& report = reader->check();  // cached: assess() ran it
  for (const auto& d : report.damage)
    out["damage"].push_back({{"offset", d.offset}, {"length", d.length}, {"reason", d.reason}});
  out["path"] = reader->path().string();
  out["verified_records"] = report.verified_records;
  out["records"] = report.records_by_type;
  out["unwritten_tail_bytes"] = report.unwritten_tail_bytes;
  out["durable_watermark"] = nullptr;
  if (!report.sync_marks.empty())
    out["durable_watermark"] = {{"offset", report.sync_marks.back().durable_offset},
                                {"copperlists", report.sync_marks.back().durable_cls}};
  return out;
}

std::string health_text(const Health& health, const std::string& path) {
  if (health.verdict == HealthVerdict::unreadable) return fmt::format("{}: unreadable: {}\n", path, health.error);
  std::string out;
  out += fmt::format("{}: {} copperlists", path, health.copperlists);
  if (health.first_cl_id) out += fmt::format(" (ids {}..{})", *health.first_cl_id, *health.last_cl_id);
  out += fmt::format(", {}\n", health.clean_close ? "closed cleanly" : "not closed cleanly");
  for (const auto& line : health.problems) out += "  " + line + "\n";
  for (const auto& [first, last] : health.known_gaps)
    out += fmt::format("  copperlists {}..{} were lost before this log was recovered\n", first, last);
  out +=
      fmt::format("verdict: {}\n",
                  health.verdict == HealthVerdict::healthy ? "healthy" : "DAMAGED (salvageable: copper-log recover)");
  return out;
}

int run_check(const CheckOptions& options, Io io) {
  auto reader = log::LogReader::open(options.log);
  Health health = reader ? assess(*reader) : unreadable(std::string(reader.error_message()));
  if (health.verdict == HealthVerdict::unreadable) fmt::print(io.err, "error: {}\n", health.error);
  if (options.json)
    io.out << health_json(health, reader ? &*reader : nullptr)
                  .dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
           << "\n";
  else if (health.verdict != HealthVerdict::unreadable)
    io.out << health_text(health, options.log);
  return exit_code(health.verdict);
}

}  // namespace copper::logtool
