#include "segments.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "../text_util.hpp"

namespace copper::replay {

using detail::fail;

namespace {

std::string ids_text(uint64_t first, uint64_t last) {
  return first == last ? fmt::format("copperlist {} is", first) : fmt::format("copperlists {}..{} are", first, last);
}

bool has_keyframe(const LogShape& log, uint64_t id) {
  return std::binary_search(log.keyframes.begin(), log.keyframes.end(), id);
}

// The first keyframe in [first, last].
std::optional<uint64_t> keyframe_in(const LogShape& log, uint64_t first, uint64_t last) {
  const auto it = std::lower_bound(log.keyframes.begin(), log.keyframes.end(), first);
  if (it == log.keyframes.end() || *it > last) return std::nullopt;
  return *it;
}

// The last keyframe in [first, last].
std::optional<uint64_t> last_keyframe_in(const LogShape& log, uint64_t first, uint64_t last) {
  auto it = std::upper_bound(log.keyframes.begin(), log.keyframes.end(), last);
  if (it == log.keyframes.begin() || *(it - 1) < first) return std::nullopt;
  return *(it - 1);
}

// The last keyframe in [first, last] that cannot restore the tasks, and why.
const std::pair<uint64_t, std::string>* unusable_in(const LogShape& log, uint64_t first, uint64_t last) {
  const std::pair<uint64_t, std::string>* found = nullptr;
  for (const auto& keyframe : log.unusable_keyframes)
    if (keyframe.first >= first && keyframe.first <= last) found = &keyframe;
  return found;
}

// A run of intact copperlists [first, last] after the missing ones
// [missing_first, first - 1]: replayed from a keyframe, or skipped.
void restart_after_gap(const LogShape& log, uint64_t missing_first, uint64_t first, uint64_t last, SegmentPlan& plan) {
  const std::string lost = fmt::format("{} missing (damaged), so the tasks' state at copperlist {} is unknown",
                                       ids_text(missing_first, first - 1), first);
  const auto keyframe = keyframe_in(log, first + 1, last);
  if (!keyframe) {
    const auto* unusable = unusable_in(log, first + 1, last);
    plan.skipped.push_back({first, last,
                            unusable
                                ? fmt::format("{}, and the keyframes after it cannot restore it ({}): not replayed",
                                              lost, unusable->second)
                                : lost + " and no keyframe follows before the next gap: not replayed"});
    return;
  }
  plan.skipped.push_back(
      {first, *keyframe - 1, fmt::format("{}: the replay restarts at the keyframe at copperlist {}", lost, *keyframe)});
  plan.segments.push_back({*keyframe, last, true});
}

SegmentPlan plan_whole_log(const LogShape& log, std::optional<uint64_t> to) {
  SegmentPlan plan;
  std::optional<uint64_t> previous_last;
  for (auto [first, last] : log.present) {
    if (to && first > *to) break;
    if (to) last = std::min(last, *to);
    const uint64_t missing_first = previous_last ? *previous_last + 1 : 0;
    previous_last = last;
    const bool after_gap = first > missing_first;
    if (!after_gap || !log.stateful || has_keyframe(log, first))
      plan.segments.push_back({first, last, first != 0 && has_keyframe(log, first)});
    else
      restart_after_gap(log, missing_first, first, last, plan);
  }
  return plan;
}

// Drops what lies before `from`; the segment holding it starts at the
// last keyframe at or before it.
Status start_at(const LogShape& log, uint64_t from, SegmentPlan& plan) {
  auto& segments = plan.segments;
  segments.erase(std::remove_if(segments.begin(), segments.end(), [&](const Segment& s) { return s.last < from; }),
                 segments.end());
  auto& skipped = plan.skipped;
  skipped.erase(std::remove_if(skipped.begin(), skipped.end(), [&](const SkippedRange& s) { return s.last < from; }),
                skipped.end());
  for (SkippedRange& s : skipped) s.first = std::max(s.first, from);
  if (segments.empty() || segments.front().first >= from) return {};
  Segment& holding = segments.front();
  const auto keyframe = last_keyframe_in(log, holding.first, from);
  if (const auto* unusable = unusable_in(log, holding.first, from); !keyframe && unusable)
    return fail("{}, so --from cannot start mid-log", unusable->second);
  if (!keyframe)
    return fail("no keyframe at or before copperlist {}{}: --from needs one (record with logging.keyframe_interval)",
                from, holding.first > 0 ? fmt::format(" after copperlist {}", holding.first - 1) : "");
  if (*keyframe != holding.first) holding = {*keyframe, holding.last, true};
  return {};
}

}  // namespace

Result<SegmentPlan> plan_segments(const LogShape& log, std::optional<uint64_t> from, std::optional<uint64_t> to) {
  SegmentPlan plan = plan_whole_log(log, to);
  if (from)
    if (Status started = start_at(log, *from, plan); !started) return started;
  if (plan.segments.empty() && !plan.skipped.empty()) {
    std::string why;
    for (const SkippedRange& s : plan.skipped) why += fmt::format("; copperlists {}..{}: {}", s.first, s.last, s.why);
    return fail(
        "no copperlist can be replayed with the tasks in a known state, so nothing would be compared{} "
        "(logs recorded with logging.keyframe_interval can restart at a keyframe after damage)",
        why);
  }
  return plan;
}

std::vector<std::pair<uint64_t, uint64_t>> present_ranges(uint64_t first, uint64_t last,
                                                          const std::vector<std::pair<uint64_t, uint64_t>>& missing) {
  std::vector<std::pair<uint64_t, uint64_t>> present;
  uint64_t next = first;
  for (const auto& [gap_first, gap_last] : missing) {
    if (gap_last < next || gap_first > last) continue;
    if (gap_first > next) present.emplace_back(next, gap_first - 1);
    if (gap_last >= last) return present;
    next = gap_last + 1;
  }
  if (next <= last) present.emplace_back(next, last);
  return present;
}

}  // namespace copper::replay
