// Crash safety: a recorder SIGKILLed at random moments, uncompressed or
// zstd, serial or parallel, under every fsync policy. The salvaged log holds
// copperlists 0, 1, ... in order, with no gap and no unverified record, and
// loses at most what docs/log-format.md ("Durability") says of what the
// recorder reported committed: nothing without compression, at most
// WriterOptions::crash_loss_cls() with zstd.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "copper/log/reader.hpp"
#include "copper/log/writer.hpp"
#include "copper/runtime.hpp"
#include "fixtures/graph_helpers.hpp"
#include "fixtures/run_helpers.hpp"
#include "fixtures/scratch_dir.hpp"

namespace {

namespace lg = copper::log;

constexpr std::string_view kCrashGraph = R"({"tasks": [
    {"id": "a", "type": "test/counter", "params": {"step": 3}},
    {"id": "acc", "type": "test/accumulate"},
    {"id": "text", "type": "test/to_text"},
    {"id": "out", "type": "test/drop_text"}],
  "connections": [{"from": "a", "to": "acc"}, {"from": "acc", "to": "text"}, {"from": "text", "to": "out"}]})";

// One kind of recording the campaign kills.
struct Kind {
  lg::Compression compression;
  bool parallel = false;
  lg::FsyncPolicy fsync;

  std::string name() const {
    return compression.to_string() + (parallel ? " parallel " : " serial ") + fsync.to_string();
  }
  lg::WriterOptions options(const std::filesystem::path& path) const {
    lg::WriterOptions options;
    options.path = path;
    options.fsync = fsync;
    options.compression = compression;
    options.slab_size = lg::kMinSlabSize;  // many slab switches per run
    options.batch_bytes = lg::kMinSlabSize / 4;
    return options;
  }
};

// Every fsync policy, serial and parallel, with the given compression.
std::vector<Kind> every_kind(lg::Compression compression) {
  const lg::FsyncPolicy policies[] = {lg::FsyncPolicy::none(), lg::FsyncPolicy::every_bytes(16u << 10),
                                      lg::FsyncPolicy::every_ms(5), lg::FsyncPolicy::commit()};
  std::vector<Kind> kinds;
  for (bool parallel : {false, true})
    for (const lg::FsyncPolicy& fsync : policies) kinds.push_back({compression, parallel, fsync});
  return kinds;
}

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

[[noreturn]] void run_child(const Kind& kind, const std::filesystem::path& path, int report_fd) {
  auto built = testing_tasks::build_graph(kCrashGraph);
  if (!built.graph) _exit(10);
  auto writer = lg::LogWriter::create(kind.options(path), *built.graph);
  if (!writer.ok()) _exit(11);
  ReportingSink reporter(report_fd);
  copper::CommitFanout sinks;
  sinks.add(writer->get());  // first the log, then the report: reported means committed
  sinks.add(&reporter);
  copper::ManualClock clock;
  std::unique_ptr<copper::Executor> executor;
  if (kind.parallel)
    executor = std::make_unique<copper::ParallelExecutor>(*built.graph, clock, testing_tasks::parallel(8, 2));
  else
    executor = std::make_unique<copper::SerialExecutor>(*built.graph, clock);
  executor->set_keyframe_interval(100);
  executor->run(copper::StopConditions{}, &sinks);  // runs until killed
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

// Records one log of `kind`, kills it after a random number of reported
// copperlists and a random delay, and returns how many it reported.
uint64_t record_and_kill(const Kind& kind, const std::filesystem::path& path, std::mt19937_64& rng) {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    close(fds[0]);
    run_child(kind, path, fds[1]);
  }
  close(fds[1]);
  const uint64_t wanted = std::uniform_int_distribution<uint64_t>(1, 4000)(rng);
  const int delay_us = std::uniform_int_distribution<int>(0, 1500)(rng);
  const uint64_t reported = kill_after(child, fds[0], wanted, delay_us);
  close(fds[0]);
  return reported;
}

// Salvages the log and checks it against the reported count; returns how
// many reported copperlists it lacks.
uint64_t check_salvage(const Kind& kind, const std::filesystem::path& path, uint64_t reported) {
  auto reader = lg::LogReader::open(path);
  REQUIRE_MESSAGE(reader.ok(), reader.error_message());
  uint64_t expected_id = 0;
  bool contiguous = true;
  reader->for_each_copperlist([&](const lg::CopperListView& cl) {
    contiguous = contiguous && cl.id == expected_id;
    ++expected_id;
    return contiguous;
  });
  CHECK(contiguous);
  const uint64_t lost = reported > expected_id ? reported - expected_id : 0;
  const uint64_t bound = kind.options(path).crash_loss_cls();
  CHECK_MESSAGE(lost <= bound, "salvaged " << expected_id << " of " << reported << " reported; the bound is " << bound);
  const auto& report = reader->check();
  CHECK_FALSE(reader->has_footer());
  // Whatever is damaged lies after the last copperlist: a record torn by the kill.
  CHECK(report.damage.size() <= 1);
  CHECK(report.missing_cls.empty());
  return lost;
}

// Kills `trials` recordings of each kind; returns the most any one lost.
uint64_t kill_campaign(const std::vector<Kind>& kinds, int trials, uint64_t seed) {
  std::mt19937_64 rng(seed);
  const copper_test::ScratchDir dir("copper_crash");
  uint64_t worst = 0;
  for (const Kind& kind : kinds) {
    for (int trial = 0; trial < trials; ++trial) {
      CAPTURE(kind.name());
      CAPTURE(trial);
      const auto path = dir / "crash.copper";
      const uint64_t reported = record_and_kill(kind, path, rng);
      worst = std::max(worst, check_salvage(kind, path, reported));
      std::filesystem::remove(path);
    }
  }
  return worst;
}

}  // namespace

TEST_CASE("log.crash.sigkill_at_random_moments_loses_nothing_committed") {
  std::vector<Kind> kinds = every_kind(lg::Compression::none());
  for (const Kind& kind : every_kind(lg::Compression::zstd())) kinds.push_back(kind);
  const uint64_t worst = kill_campaign(kinds, 4, 20261123);  // checks each kill against its own bound
  MESSAGE("most copperlists lost by one killed recording (zstd): " << worst);
  CHECK(worst <= every_kind(lg::Compression::zstd()).front().options("x").crash_loss_cls());
}

// Issue 19: killed zstd recordings lost up to 179 copperlists (several
// 1 MiB batches queued for compression) where the README promised at most
// the batch being filled.
TEST_CASE("log.crash.regression.zstd_kill_loses_at_most_the_stated_bound") {
  const auto kinds = every_kind(lg::Compression::zstd());
  CHECK(kinds.front().options("x").crash_loss_cls() == 2 * 64);  // the figure docs/log-format.md states
  const uint64_t worst = kill_campaign(kinds, 6, 20261206);
  MESSAGE("most copperlists lost by one killed zstd recording: " << worst);
}
