// Fleet replay (issue 17) as a user runs it: copper-replay plan cuts logs
// at keyframes into jobs, --jobs runs one, merge folds the segment reports
// into one verdict that must say what a whole-log replay says.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "fixtures/command.hpp"
#include "fixtures/log_damage.hpp"
#include "fixtures/recorded_log.hpp"
#include "fixtures/scratch_dir.hpp"
#include "replay/fleet_plan.hpp"

using testing_tasks::Outcome;
using testing_tasks::RecordedLog;

namespace {

// A stateful graph (acc keeps a running sum, with freeze/thaw, so segments
// start from keyframes) whose last task diverges where the replay's
// $COPPER_TEST_DIVERGE_AT says (after acc: the divergence does not enter
// a task's state, which a segment would reset at its keyframe).
constexpr std::string_view kGraph = R"({"tasks": [
    {"id": "count", "type": "test/counter", "params": {"step": 3}},
    {"id": "acc", "type": "test/accumulate"},
    {"id": "change", "type": "test/diverge_at"}],
  "connections": [{"from": "count", "to": "acc"}, {"from": "acc", "to": "change"}]})";

std::string graph(const char* compress) {
  nlohmann::json config = nlohmann::json::parse(kGraph);
  config["logging"]["compress"] = compress;
  return config.dump();
}

Outcome replay(const std::string& args, const std::string& env = "") {
  return testing_tasks::run_command(env + " " + COPPER_REPLAY_PATH + " " + args);
}

nlohmann::json read_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  REQUIRE(in);
  return nlohmann::json::parse(in);
}

std::vector<nlohmann::json> read_lines(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::vector<nlohmann::json> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

// Runs every job of a plan; their exit codes.
std::vector<int> run_jobs(const std::filesystem::path& jobs, const std::filesystem::path& reports, size_t count,
                          const std::string& env = "", const std::string& options = "") {
  std::vector<int> codes;
  for (size_t i = 0; i < count; ++i) {
    const auto run = replay("--jobs " + jobs.string() + " --job-index " + std::to_string(i) + " --report-dir " +
                                reports.string() + " -q " + options,
                            env);
    INFO(run.output);
    codes.push_back(run.exit_code);
  }
  return codes;
}

}  // namespace

TEST_CASE("fleet.plan.cut_at_keyframes_takes_the_keyframe_nearest_the_target") {
  const std::vector<uint64_t> keyframes{100, 200, 300, 400};
  using Pieces = std::vector<std::pair<uint64_t, uint64_t>>;
  CHECK(copper::fleet::cut_at_keyframes(0, 499, keyframes, 100) ==
        Pieces{{0, 99}, {100, 199}, {200, 299}, {300, 399}, {400, 499}});
  CHECK(copper::fleet::cut_at_keyframes(0, 499, keyframes, 180) == Pieces{{0, 199}, {200, 399}, {400, 499}});
  CHECK(copper::fleet::cut_at_keyframes(0, 499, keyframes, 1000) == Pieces{{0, 499}});
  CHECK(copper::fleet::cut_at_keyframes(0, 499, {}, 10) == Pieces{{0, 499}});
  // A run after a gap starts at its keyframe and is only cut after it.
  CHECK(copper::fleet::cut_at_keyframes(300, 450, keyframes, 50) == Pieces{{300, 399}, {400, 450}});
}

// Issue 17's correctness test: the divergence injected in the 3rd of 5
// segments; the merged verdict is the whole-log verdict, first divergence
// and counts included.
TEST_CASE("fleet.merge.segmented_verdict_equals_whole_log_verdict") {
  const RecordedLog log(graph("none"), "fleet_divergence", 500, 100);
  const copper_test::ScratchDir dir("fleet_divergence_work");
  const auto jobs = dir / "jobs.jsonl";
  const auto planned = replay("plan " + log.path.string() + " --segments 5 -o " + jobs.string());
  INFO(planned.output);
  REQUIRE(planned.exit_code == 0);
  const auto lines = read_lines(jobs);
  REQUIRE(lines.size() == 5);
  CHECK(lines[2]["from"] == 200);
  CHECK(lines[2]["to"] == 299);
  CHECK(lines[2]["start_keyframe"] == 200);
  CHECK(lines[0]["start_keyframe"].is_null());
  CHECK(lines[2]["cost_ns"].get<uint64_t>() > 0);

  const std::string env = "COPPER_TEST_DIVERGE_AT=250";
  const auto codes = run_jobs(jobs, dir / "reports", 5, env);
  CHECK(codes == std::vector<int>{0, 0, 1, 0, 0});
  const auto whole = replay(log.path.string() + " -q --report " + (dir / "whole.json").string(), env);
  CHECK(whole.exit_code == 1);
  const auto merged = replay("merge " + (dir / "reports").string() + " -o " + (dir / "verdict.json").string());
  INFO(merged.output);
  CHECK(merged.exit_code == 1);
  CHECK(merged.output.find("first divergence: copperlist 250, task \"change\"") != std::string::npos);
  CHECK(merged.output.find("verdict: DIVERGED") != std::string::npos);

  const auto verdict = read_json(dir / "verdict.json");
  const auto expected = read_json(dir / "whole.json")["replays"]["serial"];
  REQUIRE(verdict["logs"].size() == 1);
  const auto& got = verdict["logs"][0]["replays"]["serial"];
  CHECK(verdict["verdict"] == "diverged");
  CHECK(verdict["logs"][0]["verdict"] == "diverged");
  CHECK(got["first_divergence"] == expected["first_divergence"]);
  CHECK(got["diverged_per_task"] == expected["diverged_per_task"]);
  CHECK(got["diverged_copperlists"] == expected["diverged_copperlists"]);
  CHECK(got["compared"] == expected["compared"]);
  // The timings merged from the segments' histograms hold every copperlist.
  CHECK(got["timing"]["copperlists"] == expected["timing"]["copperlists"]);
  CHECK(got["timing"]["tasks"]["acc"]["count"] == expected["timing"]["tasks"]["acc"]["count"]);
  CHECK(verdict["logs"][0]["recorded"]["end_to_end"] == read_json(dir / "whole.json")["recorded"]["end_to_end"]);
}

TEST_CASE("fleet.merge.a_missing_or_failed_segment_makes_the_verdict_incomplete") {
  const RecordedLog log(kGraph, "fleet_missing", 300, 100);
  const copper_test::ScratchDir dir("fleet_missing_work");
  const auto jobs = dir / "jobs.jsonl";
  REQUIRE(replay("plan " + log.path.string() + " --segment-cls 100 -o " + jobs.string()).exit_code == 0);
  REQUIRE(read_lines(jobs).size() == 3);
  CHECK(run_jobs(jobs, dir / "reports", 3) == std::vector<int>{0, 0, 0});
  const auto complete = replay("merge " + (dir / "reports").string() + " -q");
  INFO(complete.output);
  CHECK(complete.exit_code == 0);
  CHECK(complete.output.find("verdict: identical") != std::string::npos);

  // One report deleted: incomplete (exit 2), never identical.
  std::filesystem::path deleted;
  for (const auto& entry : std::filesystem::directory_iterator(dir / "reports"))
    if (entry.path().string().ends_with("-000001.json")) deleted = entry.path();
  REQUIRE(!deleted.empty());
  std::filesystem::remove(deleted);
  const auto incomplete = replay("merge " + (dir / "reports").string() + " -q -o " + (dir / "v.json").string());
  INFO(incomplete.output);
  CHECK(incomplete.exit_code == 2);
  CHECK(incomplete.output.find("verdict: INCOMPLETE") != std::string::npos);
  const auto verdict = read_json(dir / "v.json");
  CHECK(verdict["verdict"] == "incomplete");
  CHECK(verdict["missing_jobs"] == nlohmann::json::array({1}));
  CHECK(verdict["logs"][0]["missing_segments"] == nlohmann::json::array({1}));

  // The log changed since planning: the job refuses (exit 2) and reports
  // the segment failed, which the merge lists.
  {
    std::ofstream grow(log.path, std::ios::app | std::ios::binary);
    grow << '\0';
  }
  const auto changed = replay("--jobs " + jobs.string() + " --job-index 1 --report-dir " + (dir / "reports").string());
  INFO(changed.output);
  CHECK(changed.exit_code == 2);
  CHECK(changed.output.find("changed since planning") != std::string::npos);
  const auto failed = replay("merge " + (dir / "reports").string() + " -q");
  INFO(failed.output);
  CHECK(failed.exit_code == 2);
  CHECK(failed.output.find("segment 1 failed: ") != std::string::npos);
}

// Parallel recordings, zstd, with and without keyframes: the segments
// compare exactly the copperlists the log holds, and agree.
TEST_CASE("fleet.plan.segments_of_parallel_zstd_and_keyframeless_logs_replay_identical") {
  struct Case {
    const char* compress;
    bool parallel;
    uint64_t keyframes;
    size_t segments;
    const char* mode;
  };
  for (const Case c : {Case{"zstd", false, 50, 4, "serial"}, Case{"none", true, 50, 4, "both"},
                       Case{"zstd", true, 0, 1, "parallel"}}) {
    CAPTURE(c.compress);
    CAPTURE(c.parallel);
    CAPTURE(c.keyframes);
    const RecordedLog log(graph(c.compress), "fleet_kinds", 200, c.keyframes, c.parallel);
    const copper_test::ScratchDir dir("fleet_kinds_work");
    const auto jobs = dir / "jobs.jsonl";
    const auto planned = replay("plan " + log.dir.path().string() + " --segment-cls 50 -o " + jobs.string());
    INFO(planned.output);
    REQUIRE(planned.exit_code == 0);
    CHECK((planned.output.find("no keyframes: one segment") != std::string::npos) == (c.keyframes == 0));
    const auto lines = read_lines(jobs);
    REQUIRE(lines.size() == c.segments);
    CHECK(run_jobs(jobs, dir / "reports", c.segments, "", std::string("--mode ") + c.mode) ==
          std::vector<int>(c.segments, 0));
    const auto merged = replay("merge " + (dir / "reports").string() + " -q -o " + (dir / "v.json").string());
    INFO(merged.output);
    CHECK(merged.exit_code == 0);
    const auto verdict = read_json(dir / "v.json");
    for (const auto& [mode, run] : verdict["logs"][0]["replays"].items()) {
      CAPTURE(mode);
      CHECK(run["compared"] == 200);
      CHECK(run["timing"]["copperlists"] == 200);
    }
  }
}

TEST_CASE("fleet.plan.damaged_log_is_planned_up_to_its_intact_part_with_a_warning") {
  const RecordedLog log(kGraph, "fleet_damaged", 300, 50);
  testing_tasks::damage_copperlist(log.path, 120);
  const copper_test::ScratchDir dir("fleet_damaged_work");
  const auto jobs = dir / "jobs.jsonl";
  const auto planned = replay("plan " + log.path.string() + " --segment-cls 50 -o " + jobs.string());
  INFO(planned.output);
  REQUIRE(planned.exit_code == 0);
  CHECK(planned.output.find("warning: ") != std::string::npos);
  CHECK(planned.output.find("not replayed: copperlists 121..149") != std::string::npos);
  for (const auto& line : read_lines(jobs)) {
    // No segment spans the gap or starts in the stretch no keyframe restores.
    CHECK((line["to"] < 120 || line["from"] >= 150));
  }
  const size_t count = read_lines(jobs).size();
  CHECK(run_jobs(jobs, dir / "reports", count) == std::vector<int>(count, 0));
  const auto merged = replay("merge " + (dir / "reports").string() + " -q");
  INFO(merged.output);
  CHECK(merged.exit_code == 0);
  CHECK(merged.output.find("not replayed: copperlists 121..149") != std::string::npos);
}

TEST_CASE("fleet.jobs.bad_input_is_refused_with_exit_2") {
  const RecordedLog log(kGraph, "fleet_bad", 100, 50);
  const copper_test::ScratchDir dir("fleet_bad_work");
  const auto jobs = dir / "jobs.jsonl";
  REQUIRE(replay("plan " + log.path.string() + " --segment-cls 50 -o " + jobs.string()).exit_code == 0);

  // The index comes from the batch engine's environment; out of range.
  const auto out_of_range = replay("--jobs " + jobs.string(), "SLURM_ARRAY_TASK_ID=7");
  CHECK(out_of_range.exit_code == 2);
  CHECK(out_of_range.output.find("job index 7 is out of range") != std::string::npos);
  const auto from_kubernetes = replay("--jobs " + jobs.string() + " -q", "JOB_COMPLETION_INDEX=1");
  INFO(from_kubernetes.output);
  CHECK(from_kubernetes.exit_code == 0);
  CHECK(from_kubernetes.output.find("job 1 of 2") != std::string::npos);
  // Slurm's variable first, then Kubernetes', then AWS Batch's.
  const auto both = replay("--jobs " + jobs.string() + " -q", "SLURM_ARRAY_TASK_ID=0 JOB_COMPLETION_INDEX=1");
  CHECK(both.output.find("job 0 of 2") != std::string::npos);
  const auto from_aws = replay("--jobs " + jobs.string() + " -q", "AWS_BATCH_JOB_ARRAY_INDEX=1");
  CHECK(from_aws.output.find("job 1 of 2") != std::string::npos);
  const auto none = replay("--jobs " + jobs.string() + " -q",
                           "env -u SLURM_ARRAY_TASK_ID -u JOB_COMPLETION_INDEX -u AWS_BATCH_JOB_ARRAY_INDEX");
  CHECK(none.exit_code == 2);
  CHECK(none.output.find("no --job-index") != std::string::npos);

  // Not a jobs file: the line is named.
  const auto not_jobs = dir / "not_jobs.jsonl";
  {
    std::ofstream out(not_jobs);
    out << read_lines(jobs)[0].dump() << "\n{\"hello\": 1}\n";
  }
  const auto refused = replay("--jobs " + not_jobs.string() + " --job-index 0");
  CHECK(refused.exit_code == 2);
  CHECK(refused.output.find("not_jobs.jsonl line 2: not a copper-replay job") != std::string::npos);

  // A report of another plan cannot be merged with this plan's.
  const auto other = dir / "other.jsonl";
  REQUIRE(replay("plan " + log.path.string() + " --segment-cls 100 -o " + other.string()).exit_code == 0);
  REQUIRE(replay("--jobs " + jobs.string() + " --job-index 0 -q --report-dir " + (dir / "r").string()).exit_code == 0);
  REQUIRE(replay("--jobs " + other.string() + " --job-index 0 -q --report-dir " + (dir / "r").string()).exit_code == 0);
  const auto mixed = replay("merge " + (dir / "r").string());
  CHECK(mixed.exit_code == 2);
  CHECK(mixed.output.find("reports of another plan cannot be merged") != std::string::npos);
}

TEST_CASE("fleet.slurm.writes_an_array_script_for_the_plan") {
  const RecordedLog log(kGraph, "fleet_slurm_script", 200, 50);
  const copper_test::ScratchDir dir("fleet_slurm_script_work");
  const auto jobs = dir / "jobs.jsonl";
  REQUIRE(replay("plan " + log.path.string() + " --segment-cls 50 -o " + jobs.string()).exit_code == 0);
  const auto written =
      replay("slurm " + jobs.string() + " --max-parallel 2 --partition debug --time 10:00 --plugin rover");
  INFO(written.output);
  REQUIRE(written.exit_code == 0);
  std::ifstream in(dir / "jobs.sbatch");
  std::stringstream script;
  script << in.rdbuf();
  CHECK(script.str().find("#SBATCH --array=0-3%2\n") != std::string::npos);
  CHECK(script.str().find("#SBATCH --partition=debug\n") != std::string::npos);
  CHECK(script.str().find("#SBATCH --time=10:00\n") != std::string::npos);
  CHECK(script.str().find("--jobs '" + jobs.string() + "'") != std::string::npos);
  CHECK(script.str().find("--plugin 'rover'") != std::string::npos);
  CHECK(std::filesystem::is_directory(dir / "jobs.reports"));
}

// A task without freeze/thaw ("out" keeps state but records none): no
// keyframe can restart a replay, so the plan makes one segment and says
// why, instead of jobs that would fail.
TEST_CASE("fleet.plan.keyframes_that_cannot_restore_a_task_are_not_cut_at") {
  nlohmann::json config = nlohmann::json::parse(kGraph);
  config["tasks"].push_back({{"id", "out"}, {"type", "test/drop_number"}});
  config["connections"].push_back({{"from", "change"}, {"to", "out"}});
  const RecordedLog log(config.dump(), "fleet_no_thaw", 150, 50);
  const copper_test::ScratchDir dir("fleet_no_thaw_work");
  const auto jobs = dir / "jobs.jsonl";
  const auto planned = replay("plan " + log.path.string() + " --segment-cls 50 -o " + jobs.string());
  INFO(planned.output);
  REQUIRE(planned.exit_code == 0);
  CHECK(planned.output.find("no keyframe can restart a replay (task \"out\" (test/drop_number) has no state") !=
        std::string::npos);
  REQUIRE(read_lines(jobs).size() == 1);
  CHECK(run_jobs(jobs, dir / "reports", 1) == std::vector<int>{0});
  CHECK(replay("merge " + (dir / "reports").string() + " -q").exit_code == 0);
}
