// Where a replay may run: the stretches of a log it can re-execute with
// every task in a known state. A task's state before copperlist n is known
// at the start of the recording (copperlist 0: fresh tasks) and at a
// keyframe (thawed); after missing copperlists (damage) it is not, so the
// replay restarts at the next keyframe and reports what it skipped, and
// never runs tasks across a gap with stale state. A graph without stateful
// tasks (sources aside) has no state to lose and runs every stretch.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "copper/replay.hpp"

namespace copper::replay {

// What the plan needs to know of the log and the graph.
struct LogShape {
  // Maximal runs of consecutive intact copperlist ids, ascending.
  std::vector<std::pair<uint64_t, uint64_t>> present;
  std::vector<uint64_t> keyframes;  // ids of intact keyframes that restore every stateful task, ascending
  // Intact keyframes that do not (a task without freeze/thaw), and why, ascending.
  std::vector<std::pair<uint64_t, std::string>> unusable_keyframes;
  bool stateful = true;  // some task other than a source keeps state
};

// One stretch replayed by one executor run: [first, last], starting from
// fresh tasks or from the keyframe at `first`.
struct Segment {
  uint64_t first = 0;
  uint64_t last = 0;
  bool thaw = false;
};

struct SegmentPlan {
  std::vector<Segment> segments;      // ascending
  std::vector<SkippedRange> skipped;  // intact copperlists not replayed, and why
};

// The segments for a replay of [from, to] (either end open). Errors: a
// `from` with no keyframe to start from, and a log where nothing can be
// replayed with known state (saying why).
Result<SegmentPlan> plan_segments(const LogShape& log, std::optional<uint64_t> from, std::optional<uint64_t> to);

// The runs of consecutive ids in [first, last] outside `missing`.
std::vector<std::pair<uint64_t, uint64_t>> present_ranges(uint64_t first, uint64_t last,
                                                          const std::vector<std::pair<uint64_t, uint64_t>>& missing);

}  // namespace copper::replay
