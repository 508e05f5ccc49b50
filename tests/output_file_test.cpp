// OutputFile (libcopper/src/output_file.hpp): the tools' outputs are written
// under a temporary name and renamed into place only when complete; nothing
// but a regular file is ever replaced.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "fixtures/scratch_dir.hpp"
#include "output_file.hpp"

using copper::OutputFile;
using copper::Overwrite;

namespace {

std::string read_all(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

size_t entries_in(const std::filesystem::path& folder) {
  size_t n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(folder)) ++n;
  return n;
}

}  // namespace

TEST_CASE("output_file.replaces_a_regular_file_only_when_committed") {
  const copper_test::ScratchDir dir("output_file_commit");
  const auto target = dir / "out.json";
  std::ofstream(target) << "old";
  auto output = OutputFile::create(target, Overwrite::allow);
  REQUIRE_MESSAGE(output.ok(), output.error_message());
  CHECK(output->temporary().parent_path() == target.parent_path());
  std::ofstream(output->temporary()) << "new";
  CHECK(read_all(target) == "old");  // untouched while the new one is written
  REQUIRE(output->commit().ok());
  CHECK(read_all(target) == "new");
  CHECK(entries_in(dir.path()) == 1);  // no temporary left
}

TEST_CASE("output_file.uncommitted_output_leaves_the_old_file_and_no_temporary") {
  const copper_test::ScratchDir dir("output_file_abandon");
  const auto target = dir / "out.copper";
  std::ofstream(target) << "previous";
  {
    auto output = OutputFile::create(target, Overwrite::allow);
    REQUIRE(output.ok());
    std::ofstream(output->temporary()) << "half a fi";
  }  // a failed write: never committed
  CHECK(read_all(target) == "previous");
  CHECK(entries_in(dir.path()) == 1);
}

TEST_CASE("output_file.existing_file_without_overwrite_is_refused") {
  const copper_test::ScratchDir dir("output_file_exists");
  const auto target = dir / "out.copper";
  std::ofstream(target) << "keep";
  auto output = OutputFile::create(target, Overwrite::refuse);
  REQUIRE_FALSE(output.ok());
  CHECK(output.status().code() == copper::StatusCode::already_exists);
  CHECK(std::string(output.error_message()).find("use --force") != std::string::npos);
  CHECK(read_all(target) == "keep");
}

// Issue 19 item 6: --force replaced device nodes and FIFOs with regular files.
TEST_CASE("output_file.regression.never_replaces_what_is_not_a_regular_file") {
  const copper_test::ScratchDir dir("output_file_special");
  const auto fifo = dir / "fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const auto link = dir / "null_link";
  std::filesystem::create_symlink("/dev/null", link);
  const auto folder = dir / "folder";
  std::filesystem::create_directory(folder);
  std::vector<std::filesystem::path> targets{fifo, link, folder};
  const auto device = dir / "null_device";
  if (::mknod(device.c_str(), S_IFCHR | 0666, ::makedev(1, 3)) == 0) targets.push_back(device);  // root only
  for (const auto& target : targets) {
    CAPTURE(target);
    const auto type = std::filesystem::symlink_status(target).type();
    for (const Overwrite overwrite : {Overwrite::allow, Overwrite::refuse}) {
      auto output = OutputFile::create(target, overwrite);
      REQUIRE_FALSE(output.ok());
      CHECK(output.status().code() == copper::StatusCode::invalid_argument);
      CHECK(std::filesystem::symlink_status(target).type() == type);
    }
  }
  CHECK(entries_in(dir.path()) == targets.size());  // no temporary left
  auto into_folder = OutputFile::create(folder, Overwrite::allow);
  CHECK(std::string(into_folder.error_message()) ==
        folder.string() + " is a directory: give the path of a file to write");
}

TEST_CASE("output_file.commit_refuses_a_target_that_became_special") {
  const copper_test::ScratchDir dir("output_file_race");
  const auto target = dir / "out";
  auto output = OutputFile::create(target, Overwrite::allow);
  REQUIRE(output.ok());
  REQUIRE(::mkfifo(target.c_str(), 0600) == 0);  // appeared while the output was written
  CHECK_FALSE(output->commit().ok());
  CHECK(std::filesystem::is_fifo(target));
  CHECK(entries_in(dir.path()) == 1);
}

TEST_CASE("output_file.missing_folder_is_not_found") {
  const copper_test::ScratchDir dir("output_file_nofolder");
  auto output = OutputFile::create(dir / "no/such/out", Overwrite::allow);
  REQUIRE_FALSE(output.ok());
  CHECK(output.status().code() == copper::StatusCode::not_found);
}
