// copper-log check: verifies every record of a log and says what is wrong:
// damaged byte ranges, copperlist id gaps, stale data past the end, an
// unclean close. The verdict decides the exit code, which recover shares.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "session.hpp"

namespace copper::logtool {

struct CheckOptions {
  std::string log;
  bool json = false;
};

enum class HealthVerdict { healthy, damaged, unreadable };
const char* to_string(HealthVerdict verdict);
int exit_code(HealthVerdict verdict);  // 0, 3, 1

// Inclusive copperlist id ranges.
using Gaps = std::vector<std::pair<uint64_t, uint64_t>>;

// Sorted, overlapping and adjacent ranges joined.
Gaps merge_gaps(Gaps gaps);

struct Health {
  HealthVerdict verdict = HealthVerdict::healthy;
  std::string error;  // why it is unreadable
  bool clean_close = false;
  uint64_t copperlists = 0;  // as iteration returns them
  std::optional<uint64_t> first_cl_id, last_cl_id;
  Gaps missing_cls;
  // Gaps a recovered log says were lost before recovery (metadata
  // "recovered_from"): reported, but not damage of this file.
  Gaps known_gaps;
  std::vector<std::string> problems;  // one line each, in file order
};

// Splits health.missing_cls into the parts a recovered log's metadata
// declares lost before its recovery (known_gaps) and the rest.
void separate_known_gaps(const nlohmann::json& metadata, Health& health);

// Walks the whole log once more than check() to see ids as a reader gets them.
Health assess(log::LogReader& reader);
// For a log that did not open.
Health unreadable(std::string error);

nlohmann::json health_json(const Health& health, log::LogReader* reader);
std::string health_text(const Health& health, const std::string& path);

int run_check(const CheckOptions& options, Io io);

}  // namespace copper::logtool
