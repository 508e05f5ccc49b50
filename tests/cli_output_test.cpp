// The files the tools write (copper-log recover/export/trace -o,
// copper-replay -o and --report), as a user meets them: written aside and
// renamed into place when complete (libcopper/src/output_file.hpp), never
// over anything but a regular file.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "fixtures/command.hpp"
#include "fixtures/scratch_dir.hpp"

using testing_tasks::Outcome;
using testing_tasks::run_command;

namespace {

const std::filesystem::path kCorpus = COPPER_CORPUS_DIR;
const std::string kClean = (kCorpus / "clean.copper").string();

// Every output a tool writes, to `target` ("{}" in each command).
std::vector<std::string> writing_commands(const std::string& target) {
  const std::string log = std::string(COPPER_LOG_PATH) + " ";
  const std::string replay = std::string(COPPER_REPLAY_PATH) + " ";
  return {
      log + "recover " + (kCorpus / "bitflip_payload.copper").string() + " -o " + target + " --force",
      log + "export " + kClean + " --format jsonl -o " + target,
      log + "trace " + kClean + " -o " + target,
      replay + kClean + " -q -o " + target + " --force",
      replay + kClean + " -q --report " + target,
  };
}

size_t entries_in(const std::filesystem::path& folder) {
  size_t n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(folder)) ++n;
  return n;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

// Issue 19 item 6: a failed create with --force deleted what was at the
// output path; copper-replay -o NODE --force replaced a device node.
TEST_CASE("cli.output.regression.force_never_replaces_a_fifo_or_a_device") {
  const copper_test::ScratchDir dir("cli_output_special");
  const auto fifo = dir / "fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const auto link = dir / "null_link";
  std::filesystem::create_symlink("/dev/null", link);
  std::vector<std::filesystem::path> targets{fifo, link};
  const auto device = dir / "null_device";  // a private /dev/null: only root may make one
  if (::mknod(device.c_str(), S_IFCHR | 0666, ::makedev(1, 3)) == 0) targets.push_back(device);
  for (const auto& target : targets) {
    const auto type = std::filesystem::symlink_status(target).type();
    for (const std::string& command : writing_commands(target.string())) {
      CAPTURE(command);
      const Outcome outcome = run_command(command);
      INFO(outcome.output);
      CHECK(outcome.exit_code == 2);
      CHECK(outcome.output.find("not a regular file") != std::string::npos);
      CHECK(std::filesystem::symlink_status(target).type() == type);
    }
  }
  CHECK(entries_in(dir.path()) == targets.size());  // no temporary left behind
}

// Issue 19 item 13: "-o DIR" said "exists; use --force" and then "Is a directory".
TEST_CASE("cli.output.regression.directory_as_output_is_said_once") {
  const copper_test::ScratchDir dir("cli_output_dir");
  for (const std::string& command : writing_commands(dir.path().string())) {
    CAPTURE(command);
    const Outcome outcome = run_command(command);
    INFO(outcome.output);
    CHECK(outcome.exit_code == 2);
    CHECK(count(outcome.output, "is a directory") == 1);
    CHECK(outcome.output.find("use --force") == std::string::npos);
    CHECK(outcome.output.find("Is a directory") == std::string::npos);
  }
  CHECK(entries_in(dir.path()) == 0);
}

// A write that fails half way (here: the file size limit, SIGXFSZ ignored
// so write() fails with EFBIG) leaves no half file and the old one intact.
TEST_CASE("cli.output.failed_write_leaves_the_previous_file_and_no_half_file") {
  const copper_test::ScratchDir dir("cli_output_fail");
  const auto target = dir / "out";
  for (const std::string& command : writing_commands(target.string())) {
    CAPTURE(command);
    std::ofstream(target) << "previous";
    const Outcome failed = run_command("trap '' XFSZ; ulimit -f 1; " + command);
    INFO(failed.output);
    CHECK(failed.exit_code != 0);
    CHECK(read_file(target) == "previous");
    CHECK(entries_in(dir.path()) == 1);
    // Without the limit the same command replaces the file, whole.
    const Outcome done = run_command(command);
    INFO(done.output);
    CHECK(read_file(target) != "previous");
    CHECK(entries_in(dir.path()) == 1);
  }
}
