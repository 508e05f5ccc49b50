// A full disk: recording onto a small tmpfs stops with a clear error, and
// every copperlist committed before it stays readable. Needs permission to
// mount (root in CI); skipped with a message otherwise.
#include <doctest/doctest.h>
#include <sys/mount.h>
#include <sys/wait.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>

#include "copper/log/reader.hpp"
#include "copper/log/writer.hpp"
#include "copper/runtime.hpp"
#include "fixtures/graph_helpers.hpp"
#include "fixtures/skip.hpp"
#include "fixtures/test_tasks.hpp"

namespace {

// A small tmpfs mounted for the life of the object.
class SmallDisk {
 public:
  explicit SmallDisk(const char* size) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "copper_full_XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) {
      problem_ = std::string("mkdtemp: ") + std::strerror(errno);
      return;
    }
    dir_ = tmpl;
    const std::string options = std::string("size=") + size;
    if (mount("tmpfs", dir_.c_str(), "tmpfs", 0, options.c_str()) != 0) {
      problem_ = std::string("cannot mount a tmpfs: ") + std::strerror(errno);
      return;
    }
    mounted_ = true;
  }
  ~SmallDisk() {
    if (mounted_) umount2(dir_.c_str(), MNT_DETACH);
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  bool ok() const { return mounted_; }
  const std::string& problem() const { return problem_; }
  std::filesystem::path file(const char* name) const { return dir_ / name; }

 private:
  std::filesystem::path dir_;
  std::string problem_;
  bool mounted_ = false;
};

// Checks the log holds copperlists 0..committed-1, in order.
void check_prefix_readable(const std::filesystem::path& path, uint64_t committed) {
  auto reader = copper::log::LogReader::open(path);
  REQUIRE_MESSAGE(reader.ok(), reader.error_message());
  uint64_t next = 0;
  reader->for_each_copperlist([&](const copper::log::CopperListView& cl) {
    CHECK(cl.id == next);
    ++next;
    return true;
  });
  CHECK(next >= committed);
  CHECK(reader->check().missing_cls.empty());
}

struct Recorded {
  int exit_code = -1;
  std::string output;
  std::optional<uint64_t> committed;  // from "N copperlists committed before it"
};

// copper-record of the rover onto `path`, until the disk is full.
Recorded record_rover(const std::filesystem::path& path, const char* compress) {
  const std::string command = std::string(COPPER_RECORD_PATH) +
                              " --config " COPPER_SOURCE_DIR "/examples/rover.json --cycles 100000 -q --compress " +
                              compress + " -o " + path.string() + " 2>&1";
  Recorded run;
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::array<char, 4096> buffer{};
  while (size_t n = fread(buffer.data(), 1, buffer.size(), pipe)) run.output.append(buffer.data(), n);
  const int status = pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  const std::string marker = " copperlists committed before it";
  if (const size_t at = run.output.find(marker); at != std::string::npos) {
    const size_t start = run.output.find_last_of("; ", at - 1) + 1;
    run.committed = std::stoull(run.output.substr(start, at - start));
  }
  return run;
}

}  // namespace

TEST_CASE("log.disk_full.writer_stops_with_a_clear_error") {
  SmallDisk disk("1m");
  if (!disk.ok()) return copper_test::skip_test(disk.problem());
  auto built = testing_tasks::build_graph(R"({"tasks": [
      {"id": "a", "type": "test/counter", "params": {"step": 1}}, {"id": "out", "type": "test/collect"}],
    "connections": [{"from": "a", "to": "out"}]})");
  REQUIRE(built.graph);
  copper::log::WriterOptions options;
  options.path = disk.file("full.copper");
  options.slab_size = copper::log::kMinSlabSize;
  auto writer = copper::log::LogWriter::create(options, *built.graph);
  REQUIRE_MESSAGE(writer.ok(), writer.error_message());
  copper::ManualClock clock;
  copper::StopConditions stop;
  stop.cycles = 10'000'000;  // far more than 1 MiB holds
  auto report = copper::SerialExecutor(*built.graph, clock).run(stop, writer->get());
  CHECK(report.reason == copper::StopReason::commit_failed);
  REQUIRE(report.failure);
  CHECK(report.failure->message.find("No space left on device") != std::string::npos);
  CHECK((*writer)->close("disk full").message().find("No space left on device") != std::string::npos);
  testing_tasks::Collected::instance().clear();
  check_prefix_readable(options.path, report.committed);
}

TEST_CASE("log.disk_full.copper_record_exits_1_and_keeps_the_log") {
  SmallDisk disk("20m");  // two and a half default 8 MiB slabs
  if (!disk.ok()) return copper_test::skip_test(disk.problem());
  const auto path = disk.file("rover.copper");
  const Recorded run = record_rover(path, "none");
  INFO(run.output);
  CHECK(run.exit_code == 1);
  CHECK(run.output.find("No space left on device") != std::string::npos);
  check_prefix_readable(path, 1);
}

// Issue 19: zstd recordings stopped about two slabs before the disk was
// full (0-53 copperlists where an uncompressed one kept 785 on 20 MiB): a
// slab that could not be reserved failed the log at once, though the two
// slabs reserved ahead still had room. Compressed, the same disk must hold
// at least as many copperlists, every one the recorder committed.
TEST_CASE("log.disk_full.regression.zstd_fills_the_disk_at_least_as_far_as_uncompressed") {
  SmallDisk disk("20m");
  if (!disk.ok()) return copper_test::skip_test(disk.problem());
  uint64_t committed[2] = {};
  const char* compressions[2] = {"none", "zstd"};
  for (int i = 0; i < 2; ++i) {
    CAPTURE(compressions[i]);
    const auto path = disk.file("rover.copper");
    const Recorded run = record_rover(path, compressions[i]);
    INFO(run.output);
    CHECK(run.exit_code == 1);
    REQUIRE(run.committed.has_value());
    committed[i] = *run.committed;
    check_prefix_readable(path, committed[i]);
    std::filesystem::remove(path);
  }
  CHECK_MESSAGE(committed[1] >= committed[0],
                "zstd committed " << committed[1] << " copperlists, uncompressed " << committed[0]);
  CHECK(committed[0] > 100);  // the disk held a real recording
}
