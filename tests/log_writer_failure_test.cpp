// LogWriter when the disk fails it or the process dies: the log still verifies and keeps what was committed.
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <signal.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>

#include "copper/log/file.hpp"
#include "copper/log/format.hpp"
#include "copper/log/writer.hpp"
#include "copper/runtime.hpp"
#include "fixtures/explained.hpp"
#include "fixtures/log_writer_helpers.hpp"
#include "log/faulty_file.hpp"

namespace {

using namespace writer_test;  // the record walker and the sum graph

lg::LogFileFactory faulty(lg::FaultyLogFile::Op op, uint64_t nth, int err) {
  return [=](const std::filesystem::path& path, lg::OpenMode mode) -> copper::Result<std::unique_ptr<lg::LogFile>> {
    auto real = lg::open_log_file(path, mode);
    if (!real.ok()) return real.status();
    auto file = std::make_unique<lg::FaultyLogFile>(std::move(real).value());
    file->fail(op, nth, err);
    return std::unique_ptr<lg::LogFile>(std::move(file));
  };
}

// Some event record of this kind holds `text`; the evidence lists every
// event the log has, so a failure shows what was written instead.
testing_tasks::Explained has_event(const Walk& w, lg::EventKind kind, std::string_view text) {
  bool found = false;
  std::string events;
  for (const Record* r : w.of(RecordType::event)) {
    const auto event_kind = at<uint16_t>(r->payload, 0);
    const std::string event_text(r->payload.begin() + 24, r->payload.end());
    found = found || (event_kind == static_cast<uint16_t>(kind) && contains(event_text, text));
    events += "\n  kind " + std::to_string(event_kind) + ": " + event_text;
  }
  return {found, "an event of kind " + std::to_string(static_cast<uint16_t>(kind)) + " containing \"" +
                     std::string(text) + "\" among:" + (events.empty() ? std::string(" (none)") : events)};
}

}  // namespace

TEST_CASE("log.writer.full_disk_on_slab_growth_fails_the_next_commit") {
  for (auto compression : {lg::Compression::none(), lg::Compression::zstd()}) {
    CAPTURE(compression.to_string());
    ScratchDir dir;
    auto graph = require_graph(kSumGraph);
    auto options = small_options(dir / "run.copper");
    options.compression = compression;
    options.open_file = faulty(lg::FaultyLogFile::Op::reserve, 4, ENOSPC);  // slabs 0..2 fit
    auto writer = require_writer(options, graph);
    const auto report = run(graph, *writer, 1000000);
    REQUIRE(report.failure);
    CHECK(report.reason == copper::StopReason::commit_failed);
    CHECK(contains(report.failure->message, "No space left on device"));
    CHECK(contains(report.failure->message, "growing "));
    const copper::Status closed = writer->close("disk full");
    CHECK(contains(closed.message(), "No space left on device"));

    const auto file = read_file(dir / "run.copper");
    const Walk w = walk(file, lg::kMinSlabSize);
    CHECK(w.damage == "");
    const auto cls = copperlists(w, 4, 3);
    // Without compression every committed copperlist is in the file; with
    // it, close appended the batches still in memory too.
    check_consecutive(cls, report.committed);
    check_sum_values(cls);
    // Whether close found room for its records depends on how full the last
    // slab was when the failure showed; either way the log is consistent.
    if (w.of(RecordType::footer).empty()) {
      CHECK((at<uint64_t>(file, 16) & lg::kFlagCleanClose) == 0);
    } else {
      CHECK(has_event(w, lg::EventKind::error, "No space left on device"));
      CHECK(w.end == file.size());
    }
  }
}

TEST_CASE("log.writer.full_disk_at_creation_is_an_error") {
  ScratchDir dir;
  auto graph = require_graph(kSumGraph);
  auto options = small_options(dir / "run.copper");
  options.open_file = faulty(lg::FaultyLogFile::Op::reserve, 1, ENOSPC);
  auto writer = lg::LogWriter::create(options, graph);
  REQUIRE_FALSE(writer.ok());
  CHECK(contains(writer.error_message(), "run.copper to 65536 bytes: No space left on device"));
  CHECK_FALSE(std::filesystem::exists(dir / "run.copper"));
}

TEST_CASE("log.writer.failed_sync_fails_the_next_commit_and_leaves_the_log_unclean") {
  ScratchDir dir;
  auto graph = require_graph(kSumGraph);
  auto options = small_options(dir / "run.copper");
  options.fsync = lg::FsyncPolicy::commit();
  // The flusher syncs mapped ranges with msync (see sync_to).
  options.open_file = faulty(lg::FaultyLogFile::Op::flush, 1, EIO);
  auto writer = require_writer(options, graph);
  const auto report = run(graph, *writer, 1000000);
  REQUIRE(report.failure);
  CHECK(contains(report.failure->message, "(msync): Input/output error"));
  CHECK(contains(writer->close("io error").message(), "Input/output error"));
  CHECK(writer->durable_cls() == 0);
  const auto file = read_file(dir / "run.copper");
  CHECK((at<uint64_t>(file, 16) & lg::kFlagCleanClose) == 0);
  const Walk w = walk(file, lg::kMinSlabSize);
  CHECK(w.damage == "");
  check_consecutive(copperlists(w, 4, 3), report.committed);
}

TEST_CASE("log.writer.abandoned_log_verifies") {
  ScratchDir dir;
  auto graph = require_graph(kSumGraph);
  auto writer = require_writer(small_options(dir / "run.copper"), graph);
  REQUIRE(run(graph, *writer, 1500).ok());
  writer->abandon();
  CHECK_FALSE(writer->close("late").ok());
  const auto file = read_file(dir / "run.copper");
  CHECK((at<uint64_t>(file, 16) & lg::kFlagCleanClose) == 0);
  const Walk w = walk(file, lg::kMinSlabSize);
  CHECK(w.damage == "");
  CHECK(w.of(RecordType::footer).empty());
  check_consecutive(copperlists(w, 4, 3), 1500);
}

TEST_CASE("log.writer.process_exit_without_close_loses_nothing_committed") {
  ScratchDir dir;
  const auto path = dir / "run.copper";
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    auto graph = testing_tasks::build_graph(kSumGraph).graph;
    auto writer = lg::LogWriter::create(small_options(path), *graph);
    if (!writer.ok()) ::_exit(2);
    copper::ManualClock clock(1000);
    copper::StopConditions stop;
    stop.cycles = 1234;
    const auto report = copper::SerialExecutor(*graph, clock).run(stop, writer->get());
    ::_exit(report.ok() ? 0 : 3);  // no close, no destructor: a crash as far as the log knows
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  const Walk w = walk(read_file(path), lg::kMinSlabSize);
  CHECK(w.damage == "");
  check_consecutive(copperlists(w, 4, 3), 1234);
}

TEST_CASE("log.regression.force_keeps_the_old_log_when_the_new_one_cannot_start") {
  ScratchDir dir;
  const auto path = dir / "run.copper";
  std::ofstream(path) << "the previous log";
  auto graph = require_graph(kSumGraph);
  auto options = small_options(path);
  options.overwrite = true;
  options.open_file = faulty(lg::FaultyLogFile::Op::reserve, 1, ENOSPC);
  auto writer = lg::LogWriter::create(options, graph);
  REQUIRE_FALSE(writer.ok());
  CHECK(contains(writer.error_message(), "No space left on device"));
  CHECK(read_file(path).size() == std::string_view("the previous log").size());
  // and nothing of the failed attempt is left beside it
  CHECK(std::distance(std::filesystem::directory_iterator(dir.path()), std::filesystem::directory_iterator()) == 1);
}

// A recorder killed between writing the header and growing the file (the
// child kills itself at its first reserve) leaves a log the tools read as
// empty, not a file of zeros that is "not a copper log".
TEST_CASE("log.regression.recorder_killed_at_start_leaves_an_empty_log") {
  ScratchDir dir;
  const auto path = dir / "run.copper";
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    auto graph = require_graph(kSumGraph);
    auto options = small_options(path);
    options.open_file = [](const std::filesystem::path& p, lg::OpenMode mode) {
      auto real = lg::open_log_file(p, mode);
      if (!real.ok()) return real;
      auto file = std::make_unique<lg::FaultyLogFile>(std::move(real).value());
      file->on_call(lg::FaultyLogFile::Op::reserve, [] { ::kill(::getpid(), SIGKILL); });
      return copper::Result<std::unique_ptr<lg::LogFile>>(std::unique_ptr<lg::LogFile>(std::move(file)));
    };
    (void)lg::LogWriter::create(options, graph);
    _exit(11);
  }
  int status = 0;
  waitpid(child, &status, 0);
  REQUIRE(WIFSIGNALED(status));
  REQUIRE(std::filesystem::file_size(path) == lg::kFileHeaderSize);
  auto reader = lg::LogReader::open(path);
  REQUIRE(reader.ok());
  CHECK(reader->header().checksum_ok);
  CHECK_FALSE(reader->header().clean_close);
  CHECK(reader->check().cl_count == 0);
  CHECK(reader->check().damage.empty());
}

// Issue 19 item 7: a log truncated by another process under its writer
// killed the writer with SIGBUS. Now the writer goes on into zero pages,
// fails at its next slab switch saying what happened, and never marks the
// log clean; what the file holds up to the cut stays readable.
TEST_CASE("log.regression.log_truncated_under_its_writer_is_an_error_not_a_sigbus") {
  ScratchDir dir;
  const auto path = dir / "run.copper";
  auto graph = require_graph(kSumGraph);
  auto options = small_options(path);
  options.fsync = lg::FsyncPolicy::none();
  auto writer = require_writer(options, graph);
  constexpr uint64_t kCut = 8192;
  // Another process cuts the file after copperlist 99 (`truncate -s 8K`).
  struct CuttingSink final : copper::CommitSink {
    lg::LogWriter* writer = nullptr;
    std::filesystem::path path;
    copper::Status commit(const copper::CopperList& cl) override {
      if (cl.id == 100 && ::truncate(path.c_str(), kCut) != 0) return copper::Status::error("truncate failed");
      return writer->commit(cl);
    }
  } sink;
  sink.writer = writer.get();
  sink.path = path;
  const auto report = run(graph, sink, 1000000);
  REQUIRE(report.failure);
  CHECK(report.reason == copper::StopReason::commit_failed);
  CHECK(contains(report.failure->message, "truncated by another process while being written"));
  CHECK_FALSE(writer->close("done").ok());
  auto reader = lg::LogReader::open(path);
  REQUIRE(reader.ok());
  CHECK_FALSE(reader->header().clean_close);
  uint64_t expected = 0;
  reader->for_each_copperlist([&](const lg::CopperListView& cl) { return cl.id == expected++; });
  CHECK(expected >= 1);  // the copperlists before the cut, in order
}
