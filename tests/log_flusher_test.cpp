// Flusher (src/log/flusher.hpp): the fsync policies on their own, over a
// real file and over one whose syncs fail.
#include <doctest/doctest.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>

#include "copper/log/file.hpp"
#include "fixtures/scratch_dir.hpp"
#include "log/faulty_file.hpp"
#include "log/flusher.hpp"

using copper::log::FaultyLogFile;
using copper::log::FsyncPolicy;
using copper::log::PageSize;
using copper::log::SyncMark;
using copper::log::detail::Flusher;
using copper::log::detail::SlabRing;

namespace {

constexpr uint64_t kSlab = 64u << 10;

// A file with slab 0 mapped, and what an appending thread would publish.
struct Bench {
  copper_test::ScratchDir dir{"flusher"};
  std::unique_ptr<FaultyLogFile> file;
  std::unique_ptr<SlabRing> ring;
  std::atomic<uint64_t> end{0};
  std::atomic<uint64_t> copperlists{0};
  std::atomic<int> failures{0};
  std::string failure;

  Bench() {
    auto real = copper::log::open_log_file(dir / "run.copper", copper::log::OpenMode::create_new);
    REQUIRE(real.ok());
    file = std::make_unique<FaultyLogFile>(std::move(real).value());
    ring = std::make_unique<SlabRing>(*file, kSlab, PageSize::normal, false, SlabRing::Hooks{});
    REQUIRE(ring->prepare(0).ok());
  }
  Flusher flusher(const FsyncPolicy& policy) {
    return Flusher(*file, *ring, kSlab, policy, Flusher::Appended{&end, &copperlists}, [this](copper::Status status) {
      failure = std::string(status.message());
      failures.fetch_add(1);
    });
  }
  // Writes `bytes` more bytes and publishes them with `count` copperlists.
  void append(uint64_t bytes, uint64_t count) {
    std::memset(ring->mapping(0)->data() + end.load(), 0xAB, bytes);
    end.store(end.load() + bytes);
    copperlists.store(copperlists.load() + count);
  }
};

template <class Done>
bool wait_until(Done done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

}  // namespace

TEST_CASE("log.flusher.commit_policy_syncs_what_was_appended_and_marks_it") {
  Bench bench;
  Flusher flusher = bench.flusher(FsyncPolicy::commit());
  flusher.start();
  CHECK(flusher.running());
  bench.append(4096, 3);
  flusher.appended(bench.end.load());
  REQUIRE(wait_until([&] { return flusher.durable_copperlists() == 3; }));
  CHECK(flusher.synced_end() == 4096);
  CHECK(flusher.syncs() == 1);
  CHECK(bench.file->calls(FaultyLogFile::Op::flush) == 1);  // a ranged msync, no whole-file fdatasync
  CHECK(bench.file->calls(FaultyLogFile::Op::datasync) == 0);
  SyncMark mark;
  REQUIRE(flusher.pop_mark(mark));
  CHECK(mark.durable_offset == 4096);
  CHECK(mark.durable_cls == 3);
  CHECK(mark.time_ns > 0);
  CHECK_FALSE(flusher.pop_mark(mark));
  flusher.stop();
  CHECK_FALSE(flusher.running());
}

TEST_CASE("log.flusher.bytes_policy_wakes_only_every_n_bytes") {
  Bench bench;
  Flusher flusher = bench.flusher(FsyncPolicy::every_bytes(8192));
  flusher.start();
  bench.append(4096, 1);
  flusher.appended(bench.end.load());  // under the threshold: no wake
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(flusher.syncs() == 0);
  bench.append(4096, 1);
  flusher.appended(bench.end.load());
  REQUIRE(wait_until([&] { return flusher.durable_copperlists() == 2; }));
  CHECK(flusher.synced_end() == 8192);
  flusher.stop();
}

TEST_CASE("log.flusher.interval_policy_syncs_without_being_woken") {
  Bench bench;
  Flusher flusher = bench.flusher(FsyncPolicy::every_ms(5));
  flusher.start();
  bench.append(100, 7);  // never announced through appended()
  CHECK(wait_until([&] { return flusher.durable_copperlists() == 7; }));
  flusher.stop();
}

TEST_CASE("log.flusher.policy_none_runs_no_thread_and_close_syncs") {
  Bench bench;
  Flusher flusher = bench.flusher(FsyncPolicy::none());
  flusher.start();
  CHECK_FALSE(flusher.running());
  bench.append(512, 2);
  flusher.appended(bench.end.load());
  REQUIRE(flusher.sync_to(bench.end.load()).ok());  // what close does
  flusher.durable(bench.end.load(), bench.copperlists.load());
  CHECK(flusher.durable_copperlists() == 2);
  CHECK(flusher.synced_end() == 512);
}

// A failed sync: durability unknown, said once, and no mark claims it.
TEST_CASE("log.flusher.a_failed_sync_is_reported_once_and_marks_nothing_durable") {
  Bench bench;
  bench.file->fail(FaultyLogFile::Op::flush, 1, EIO);
  Flusher flusher = bench.flusher(FsyncPolicy::commit());
  flusher.start();
  bench.append(4096, 1);
  flusher.appended(bench.end.load());
  REQUIRE(wait_until([&] { return bench.failures.load() > 0; }));
  CHECK(flusher.failed());
  CHECK(bench.failure.find("Input/output error") != std::string::npos);
  bench.append(4096, 1);
  flusher.appended(bench.end.load());  // the thread has ended: nothing more happens
  flusher.stop();
  CHECK(bench.failures.load() == 1);
  CHECK(flusher.durable_copperlists() == 0);
  SyncMark mark;
  CHECK_FALSE(flusher.pop_mark(mark));
}
