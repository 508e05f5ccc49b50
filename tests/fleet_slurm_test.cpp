// Fleet replay on a real batch engine: a single-node Slurm cluster of the
// test's own (tests/slurm/cluster.sh) runs a plan of three rover logs as a
// job array; the merged verdict must cover every segment. Skipped, visibly,
// where the daemons cannot start (not root, Slurm or munge missing).
#include <doctest/doctest.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "fixtures/command.hpp"
#include "fixtures/recorded_log.hpp"
#include "fixtures/scratch_dir.hpp"
#include "fixtures/skip.hpp"

using testing_tasks::Outcome;
using testing_tasks::RecordedLog;

namespace {

const std::string kClusterScript = COPPER_SOURCE_DIR "/tests/slurm/cluster.sh";

// The cluster's daemons, started in `dir` and stopped by their pids when
// the guard goes, whatever happened in between.
class SlurmCluster {
 public:
  explicit SlurmCluster(const std::filesystem::path& dir) : dir_(dir) {
    std::filesystem::create_directories(dir_);
    const Outcome started = testing_tasks::run_command(kClusterScript + " start " + dir_.string());
    if (started.exit_code != 0 || started.output.find("ok") != 0) problem_ = "Slurm did not start: " + started.output;
  }
  ~SlurmCluster() {
    std::vector<pid_t> pids;
    std::ifstream in(dir_ / "pids");
    for (pid_t pid = 0; in >> pid;) pids.push_back(pid);
    for (pid_t pid : pids) ::kill(pid, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    auto alive = [&] {
      for (pid_t pid : pids)
        if (::kill(pid, 0) == 0 && !zombie(pid)) return true;
      return false;
    };
    while (alive() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    for (pid_t pid : pids)
      if (::kill(pid, 0) == 0) ::kill(pid, SIGKILL);
  }
  SlurmCluster(const SlurmCluster&) = delete;
  SlurmCluster& operator=(const SlurmCluster&) = delete;

  bool ok() const { return problem_.empty(); }
  const std::string& problem() const { return problem_; }
  // The environment for sbatch, squeue and the tools that call them.
  std::string env() const { return "SLURM_CONF=" + (dir_ / "slurm.conf").string(); }

 private:
  // A daemon that ended but that its parent (not this process) has not reaped.
  static bool zombie(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text;
    std::getline(stat, text);
    const auto close = text.rfind(')');
    return close != std::string::npos && close + 2 < text.size() && text[close + 2] == 'Z';
  }

  std::filesystem::path dir_;
  std::string problem_;
};

Outcome replay(const std::string& env, const std::string& args) {
  return testing_tasks::run_command(env + " " + COPPER_REPLAY_PATH + " " + args);
}

// Waits until the job has left the queue; false on timeout.
bool wait_for(const SlurmCluster& cluster, const std::string& job, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    const Outcome queued = testing_tasks::run_command(cluster.env() + " squeue -h -j " + job + " -o %i");
    if (queued.exit_code == 0 && queued.output.find_first_not_of(" \n") == std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  testing_tasks::run_command(cluster.env() + " scancel " + job);
  return false;
}

}  // namespace

TEST_CASE("fleet.slurm.a_plan_runs_as_a_job_array_on_a_local_cluster") {
  const copper_test::ScratchDir dir("fleet_slurm");
  const SlurmCluster cluster(dir / "cluster");
  if (!cluster.ok()) return copper_test::skip_test(cluster.problem());

  const std::string rover = testing_tasks::read_rover_config();
  const RecordedLog a(rover, "fleet_slurm_a", 90, 30), b(rover, "fleet_slurm_b", 60, 30),
      c(rover, "fleet_slurm_c", 60, 0);
  const auto jobs = dir / "jobs.jsonl";
  const Outcome planned = replay("", "plan " + a.path.string() + " " + b.path.string() + " " + c.path.string() +
                                         " --segment-cls 30 -o " + jobs.string());
  INFO(planned.output);
  REQUIRE(planned.exit_code == 0);
  CHECK(planned.output.find("6 jobs over 3 logs") != std::string::npos);  // 3 + 2 + 1 (no keyframes)

  const Outcome submitted = replay(cluster.env(), "slurm " + jobs.string() + " --max-parallel 2 --submit");
  INFO(submitted.output);
  REQUIRE(submitted.exit_code == 0);
  const auto at = submitted.output.find("submitted job ");
  REQUIRE(at != std::string::npos);
  const std::string job = submitted.output.substr(at + 14, submitted.output.find('\n', at) - at - 14);
  REQUIRE(wait_for(cluster, job, std::chrono::seconds(45)));

  const auto reports = dir / "jobs.reports";
  const Outcome merged = replay(
      "", "merge " + reports.string() + " --jobs " + jobs.string() + " -q -o " + (dir / "verdict.json").string());
  INFO(merged.output);
  CHECK(merged.exit_code == 0);
  std::ifstream in(dir / "verdict.json");
  const nlohmann::json verdict = nlohmann::json::parse(in);
  CHECK(verdict["verdict"] == "identical");
  CHECK(verdict["reports"] == 6);
  REQUIRE(verdict["logs"].size() == 3);
  uint64_t compared = 0;
  for (const auto& log : verdict["logs"]) {
    CHECK(log["verdict"] == "identical");
    compared += log["replays"]["serial"]["compared"].get<uint64_t>();
  }
  CHECK(compared == 90 + 60 + 60);
  // The array tasks ran under Slurm: its output files, one per task.
  CHECK(std::filesystem::exists(reports / ("slurm-" + job + "_0.out")));
  CHECK(std::filesystem::exists(reports / ("slurm-" + job + "_5.out")));
}
