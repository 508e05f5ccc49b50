// copper-replay slurm: the sbatch job array that runs a plan, one array
// task per job (docs/fleet-replay.md); --submit hands it to sbatch.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <array>
#include <cstdio>
#include <system_error>

#include "exit_codes.hpp"
#include "fleet_cli.hpp"
#include "output_file.hpp"
#include "plugin_cli.hpp"
#include "text_util.hpp"

namespace copper::replay_cli {

namespace {

struct SlurmOptions {
  std::string jobs_file;
  std::string partition;
  uint32_t max_parallel = 0;
  std::string time;
  std::vector<std::string> plugins;
  std::string mode = "serial";
  std::string report_dir;
  std::string script;
  std::string job_name;
  bool submit = false;
};

// A word for sh, single-quoted.
std::string quoted(const std::string& word) {
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string absolute(const std::string& path) {
  std::error_code ignored;
  return std::filesystem::absolute(path, ignored).lexically_normal().string();
}

// This program, by absolute path: the array tasks run the same binary
// (a robot's own static replay binary knows its task types).
std::string this_program() {
  std::error_code error;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", error);
  return error ? std::string("copper-replay") : self.string();
}

std::string script_text(const SlurmOptions& options, const std::vector<fleet::Job>& jobs) {
  const uint64_t n = jobs.size();
  std::string text = "#!/bin/sh\n";
  text += fmt::format("#SBATCH --job-name={}\n",
                      options.job_name.empty() ? "copper-replay-" + jobs.front().plan : options.job_name);
  text += fmt::format("#SBATCH --array=0-{}{}\n", n - 1,
                      options.max_parallel ? fmt::format("%{}", options.max_parallel) : std::string());
  text += fmt::format("#SBATCH --output={}/slurm-%A_%a.out\n", options.report_dir);
  text += "#SBATCH --ntasks=1\n";
  if (!options.partition.empty()) text += fmt::format("#SBATCH --partition={}\n", options.partition);
  if (!options.time.empty()) text += fmt::format("#SBATCH --time={}\n", options.time);
  text += fmt::format("# copper-replay plan {}: {} jobs. Each array task replays the job $SLURM_ARRAY_TASK_ID and\n",
                      jobs.front().plan, n);
  text += fmt::format("# writes its segment report; then: copper-replay merge {} -o verdict.json\n",
                      quoted(options.report_dir));
  std::string command = fmt::format("exec {} --jobs {} --report-dir {} --mode {} -q", quoted(this_program()),
                                    quoted(options.jobs_file), quoted(options.report_dir), options.mode);
  for (const std::string& plugin : options.plugins) command += " --plugin " + quoted(plugin);
  return text + command + "\n";
}

// Runs sbatch on the script; its job id, or the error with sbatch's words.
Result<std::string> submit(const std::string& script) {
  const std::string command = fmt::format("sbatch --parsable {} 2>&1", quoted(script));
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return detail::fail("cannot run sbatch");
  std::string output;
  std::array<char, 4096> buffer{};
  while (size_t n = fread(buffer.data(), 1, buffer.size(), pipe)) output.append(buffer.data(), n);
  const int status = pclose(pipe);
  while (!output.empty() && (output.back() == '\n' || output.back() == '\r')) output.pop_back();
  if (status != 0) return detail::fail("sbatch failed (status {}): {}", status, output);
  // --parsable prints "jobid" or "jobid;cluster".
  return output.substr(0, output.find(';'));
}

}  // namespace

int slurm_main(int argc, char** argv) {
  CLI::App app{"copper-replay slurm: the Slurm job array that runs a plan"};
  app.name("copper-replay slurm");
  SlurmOptions options;
  app.add_option("jobs", options.jobs_file, "the plan (copper-replay plan -o)")->required()->check(CLI::ExistingFile);
  app.add_option("--partition", options.partition, "the Slurm partition");
  app.add_option("--max-parallel", options.max_parallel, "at most this many array tasks at once (%K)")
      ->check(CLI::Range(1, 1000000));
  app.add_option("--time", options.time, "each array task's time limit (sbatch --time)");
  app.add_option("--plugin", options.plugins, "task plugin for the replays (copper-replay --plugin), repeatable");
  app.add_option("--mode", options.mode, "replay mode of each job")
      ->check(CLI::IsMember({"serial", "parallel", "both"}));
  app.add_option("--report-dir", options.report_dir, "where the segment reports go (default: JOBS.reports)");
  app.add_option("-o,--output", options.script, "the sbatch script (default: JOBS.sbatch)");
  app.add_option("--job-name", options.job_name, "the Slurm job name (default: copper-replay-PLAN)");
  app.add_flag("--submit", options.submit, "submit the script with sbatch and print the job id");
  if (auto done = cli::parse_command_line(app, argc, argv)) return *done;
  auto jobs = fleet::read_jobs(options.jobs_file);
  if (!jobs) {
    fmt::print(stderr, "error: {}\n", jobs.error_message());
    return kExitCannotRun;
  }
  options.jobs_file = absolute(options.jobs_file);
  std::filesystem::path base = options.jobs_file;
  options.report_dir =
      absolute(options.report_dir.empty() ? base.replace_extension(".reports").string() : options.report_dir);
  base = options.jobs_file;
  if (options.script.empty()) options.script = base.replace_extension(".sbatch").string();
  for (std::string& plugin : options.plugins)
    if (plugin.find('/') != std::string::npos) plugin = absolute(plugin);
  std::error_code error;
  std::filesystem::create_directories(options.report_dir, error);  // sbatch --output needs it
  if (error) {
    fmt::print(stderr, "error: cannot create {}: {}\n", options.report_dir, error.message());
    return kExitCannotRun;
  }
  if (Status written = write_text_file(options.script, script_text(options, *jobs)); !written) {
    fmt::print(stderr, "error: {}\n", written.message());
    return exit_code_for(written);
  }
  fmt::print("wrote {}: an array of {} jobs, reports in {}\n", options.script, jobs->size(), options.report_dir);
  if (!options.submit) return kExitOk;
  auto id = submit(options.script);
  if (!id) {
    fmt::print(stderr, "error: {}\n", id.error_message());
    return kExitCannotRun;
  }
  fmt::print("submitted job {}\n", *id);
  return kExitOk;
}

}  // namespace copper::replay_cli
