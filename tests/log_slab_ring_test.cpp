// SlabRing (src/log/slab_ring.hpp): the slab thread of the log writer on
// its own, over a real file and over one that fails on demand.
#include <doctest/doctest.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <thread>

#include "copper/log/file.hpp"
#include "fixtures/scratch_dir.hpp"
#include "log/faulty_file.hpp"
#include "log/slab_ring.hpp"

using copper::log::FaultyLogFile;
using copper::log::OpenMode;
using copper::log::PageSize;
using copper::log::detail::SlabRing;

namespace {

constexpr uint64_t kSlab = 64u << 10;  // the smallest slab a log allows

std::unique_ptr<copper::log::LogFile> new_file(const std::filesystem::path& path) {
  auto file = copper::log::open_log_file(path, OpenMode::create_new);
  REQUIRE_MESSAGE(file.ok(), file.error_message());
  return std::move(file).value();
}

// Waits, as the appending thread does, until `done` holds; false after 20 s
// (a lost wake-up fails the test instead of hanging the suite).
template <class Done>
bool wait_until(const SlabRing& ring, Done done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    (void)ring.events();
  }
  return true;
}

}  // namespace

TEST_CASE("log.slab_ring.keeps_spare_slabs_reserved_and_mapped_ahead_of_the_writer") {
  copper_test::ScratchDir dir("slab_ring");
  auto file = new_file(dir / "run.copper");
  SlabRing ring(*file, kSlab, PageSize::normal, false, {});
  REQUIRE(ring.prepare(0).ok());
  ring.start();
  CHECK(wait_until(ring, [&] { return ring.ready(SlabRing::kSpareSlabs); }));
  CHECK_FALSE(ring.ready(SlabRing::kSpareSlabs + 1));  // no further than asked
  CHECK(std::filesystem::file_size(dir / "run.copper") == (SlabRing::kSpareSlabs + 1) * kSlab);
  for (uint64_t slab = 0; slab <= SlabRing::kSpareSlabs; ++slab) {
    REQUIRE(ring.mapping(slab) != nullptr);
    CHECK(ring.mapping(slab)->offset() == slab * kSlab);
    ring.mapping(slab)->data()[kSlab - 1] = 0x5A;  // writable to its last byte
  }
  ring.entered(1);  // moving on asks for one more
  CHECK(wait_until(ring, [&] { return ring.ready(SlabRing::kSpareSlabs + 1); }));
  ring.stop();
}

TEST_CASE("log.slab_ring.retires_slabs_behind_the_writer_once_retirable") {
  copper_test::ScratchDir dir("slab_ring");
  auto file = new_file(dir / "run.copper");
  SlabRing ring(*file, kSlab, PageSize::normal, true, {});
  REQUIRE(ring.prepare(0).ok());
  ring.start();
  ring.entered(3);
  CHECK(wait_until(ring, [&] { return ring.ready(3 + SlabRing::kSpareSlabs); }));
  CHECK(ring.mapping(0) != nullptr);  // left, but not retirable yet
  ring.retire_below(2 * kSlab);
  ring.wake();
  CHECK(wait_until(ring, [&] { return ring.mapping(0) == nullptr && ring.mapping(1) == nullptr; }));
  CHECK(ring.mapping(2) != nullptr);  // not retirable
  CHECK(ring.mapping(3) != nullptr);  // the writer's
  ring.retire_below(kSlab);           // retiring only moves forward
  CHECK(ring.retirable() == 2 * kSlab);
  ring.stop();
}

// Slots are recycled only behind what was synced: with nothing retirable,
// the ring fills and asks for a sync instead of mapping more.
TEST_CASE("log.slab_ring.full_ring_asks_for_a_sync_and_maps_no_more") {
  copper_test::ScratchDir dir("slab_ring");
  auto file = new_file(dir / "run.copper");
  std::atomic<int> sync_requests{0};
  SlabRing::Hooks hooks;
  hooks.ring_full = [&] { sync_requests.fetch_add(1); };
  SlabRing ring(*file, kSlab, PageSize::normal, false, hooks);
  REQUIRE(ring.prepare(0).ok());
  ring.start();
  ring.entered(SlabRing::kRingSlabs + 4);  // far ahead of anything retirable
  CHECK(wait_until(ring, [&] { return sync_requests.load() > 0; }));
  CHECK(ring.ready(SlabRing::kRingSlabs - 1));
  CHECK_FALSE(ring.ready(SlabRing::kRingSlabs));  // all slots hold unsynced slabs
  ring.retire_below(2 * kSlab);                   // a sync came: two slots free up
  ring.wake();
  CHECK(wait_until(ring, [&] { return ring.ready(SlabRing::kRingSlabs + 1); }));
  CHECK_FALSE(ring.ready(SlabRing::kRingSlabs + 2));
  ring.stop();
}

// A full disk: kept for the writer to find when it needs the slab.
TEST_CASE("log.slab_ring.a_slab_that_cannot_be_prepared_is_kept_for_the_writer") {
  copper_test::ScratchDir dir("slab_ring");
  auto faulty = std::make_unique<FaultyLogFile>(new_file(dir / "run.copper"));
  faulty->fail(FaultyLogFile::Op::reserve, 3, ENOSPC);  // slab 0 and 1 fit, slab 2 does not
  SlabRing ring(*faulty, kSlab, PageSize::normal, false, {});
  REQUIRE(ring.prepare(0).ok());
  const uint32_t before = ring.events();
  ring.start();
  CHECK(wait_until(ring, [&] { return ring.failure().has_value(); }));
  CHECK(ring.exhausted());
  CHECK(ring.prepared() == 2);
  CHECK(ring.ready(1));
  CHECK_FALSE(ring.ready(2));
  CHECK(ring.events() != before);  // a waiting writer is woken
  CHECK(ring.failure()->message().find("No space left on device") != std::string_view::npos);
  ring.stop();
}
