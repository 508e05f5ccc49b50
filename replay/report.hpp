// What copper-replay prints and writes: the verdict, the timing table and
// the JSON report (its schema is in replay/README.md).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "copper/replay.hpp"

namespace copper::replay_cli {

struct Runs {
  std::optional<ReplayOutcome> serial;
  std::optional<ReplayOutcome> parallel;
};

struct Verdict {
  bool identical = true;
  // --mode both: the first copperlist whose outputs differ between the
  // serial and the parallel replay, or the count mismatch.
  std::optional<std::string> serial_vs_parallel;
};

Verdict judge(const Runs& runs);
std::string verdict_text(const Runs& runs, const Verdict& verdict);
std::string timing_table(const Replay& replay, const Runs& runs, uint32_t max_in_flight);
// The same table for any columns (the first is the recording: the speedup
// row is against it); a fleet merge prints its merged figures so.
struct TimingColumn {
  std::string name;
  const RunTiming* timing;
};
std::string timing_table(const std::vector<std::string>& task_ids, const std::vector<TimingColumn>& columns);
nlohmann::json report_json(const std::string& log, const Replay& replay, const Runs& runs, const Verdict& verdict);

}  // namespace copper::replay_cli
