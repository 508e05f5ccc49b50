// Crash safety: a recorder SIGKILLed at random moments loses nothing it
// reported committed, and the salvaged log holds those copperlists in order,
// with no gap and no unverified record.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <random>

#include "copper/log/reader.hpp"
#include "copper/log/writer.hpp"
#include "copper/runtime.hpp"
#include "fixtures/graph_helpers.hpp"
#include "fixtures/scratch_dir.hpp"

namespace {

constexpr std::string_view kCrashGraph = R"({"tasks": [
    {"id": "a", "type": "test/counter", "params": {"step": 3}},
    {"id": "acc", "type": "test/accumulate"},
    {"id": "text", "type": "test/to_text"},
    {"id": "out", "type": "test/drop_text"}],
  "connections": [{"from": "a", "to": "acc"}, {"from": "acc", "to": "text"}, {"from": "text", "to": "out"}]})";

// Tells the parent, through a pipe, each copperlist the writer accepted.
class ReportingSink final : public copper::CommitSink {
 public:
  explicit ReportingSink(int fd) : fd_(fd) {}
  copper::Status commit(const copper::CopperList& cl) override {
    const uint64_t id = cl.id;
    if (write(fd_, &id, sizeof id) != sizeof id) return copper::Status::error("pipe closed");
    return {};
  }

 private:
  int fd_;
};

[[noreturn]] void run_child(const std::filesystem::path& path, int report_fd) {
  auto built = testing_tasks::build_graph(kCrashGraph);
  if (!built.graph) _exit(10);
  copper::log::WriterOptions options;
  options.path = path;
  options.fsync = copper::log::FsyncPolicy::none();
  options.slab_size = copper::log::kMinSlabSize;  // many slab switches per run
  auto writer = copper::log::LogWriter::create(options, *built.graph);
  if (!writer.ok()) _exit(11);
  ReportingSink reporter(report_fd);
  copper::CommitFanout sinks;
  sinks.add(writer->get());  // first the log, then the report: reported means committed
  sinks.add(&reporter);
  copper::ManualClock clock;
  copper::SerialExecutor executor(*built.graph, clock);
  executor.set_keyframe_interval(100);
  executor.run(copper::StopConditions{}, &sinks);  // runs until killed
  _exit(12);
}

// Reads the ids the child reported until it has `wanted` of them, kills it,
// then drains what it reported before dying. Returns the reported count.
uint64_t kill_after(pid_t child, int report_fd, uint64_t wanted, int delay_us) {
  uint64_t reported = 0, id = 0;
  while (reported < wanted && read(report_fd, &id, sizeof id) == sizeof id) ++reported;
  if (delay_us > 0) usleep(static_cast<useconds_t>(delay_us));
  kill(child, SIGKILL);
  while (read(report_fd, &id, sizeof id) == sizeof id) ++reported;
  int status = 0;
  waitpid(child, &status, 0);
  CHECK_MESSAGE(WIFSIGNALED(status), "the child ended on its own: status " << status);
  return reported;
}

}  // namespace

TEST_CASE("log.crash.sigkill_at_random_moments_loses_nothing_committed") {
  std::mt19937_64 rng(20261123);
  const copper_test::ScratchDir dir("copper_crash");
  constexpr int kTrials = 50;
  for (int trial = 0; trial < kTrials; ++trial) {
    CAPTURE(trial);
    const auto path = dir / ("trial_" + std::to_string(trial) + ".copper");
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    const pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      close(fds[0]);
      run_child(path, fds[1]);
    }
    close(fds[1]);
    const uint64_t wanted = std::uniform_int_distribution<uint64_t>(1, 4000)(rng);
    const int delay_us = std::uniform_int_distribution<int>(0, 1500)(rng);
    const uint64_t reported = kill_after(child, fds[0], wanted, delay_us);
    close(fds[0]);

    auto reader = copper::log::LogReader::open(path);
    REQUIRE_MESSAGE(reader.ok(), reader.error_message());
    uint64_t expected_id = 0;
    bool contiguous = true;
    reader->for_each_copperlist([&](const copper::log::CopperListView& cl) {
      contiguous = contiguous && cl.id == expected_id;
      ++expected_id;
      return contiguous;
    });
    CHECK(contiguous);
    CHECK_MESSAGE(expected_id >= reported, "salvaged " << expected_id << " of " << reported << " reported");
    const auto& report = reader->check();
    CHECK_FALSE(reader->has_footer());
    // Whatever is damaged lies after the last copperlist: a record torn by the kill.
    CHECK(report.damage.size() <= 1);
    CHECK(report.missing_cls.empty());
    std::filesystem::remove(path);
  }
}
