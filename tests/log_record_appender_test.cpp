// RecordAppender (src/log/record_appender.hpp): records framed as
// docs/log-format.md says, slabs switched and padded, over a real file.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "copper/log/file.hpp"
#include "fixtures/scratch_dir.hpp"
#include "log/layout.hpp"
#include "log/record_appender.hpp"
#include "log/slab_ring.hpp"

using copper::Status;
using copper::log::PageSize;
using copper::log::RecordHeader;
using copper::log::RecordType;
using copper::log::detail::RecordAppender;
using copper::log::detail::SlabRing;

namespace {

constexpr uint64_t kSlab = 64u << 10;
constexpr uint64_t kHeader = copper::log::kFileHeaderSize;

struct Log {
  copper_test::ScratchDir dir{"record_appender"};
  std::unique_ptr<copper::log::LogFile> file;
  std::unique_ptr<SlabRing> ring;
  std::unique_ptr<RecordAppender> appender;
  Status background;  // what the background_failure hook reports
  int kept = 0;       // failures handed to the keep hook

  Log() {
    auto opened = copper::log::open_log_file(dir / "run.copper", copper::log::OpenMode::create_new);
    REQUIRE(opened.ok());
    file = std::move(opened).value();
    ring = std::make_unique<SlabRing>(*file, kSlab, PageSize::normal, false, SlabRing::Hooks{});
    REQUIRE(ring->prepare(0).ok());
    RecordAppender::Hooks hooks;
    hooks.background_failure = [this] { return background; };
    hooks.keep = [this](Status status) {
      ++kept;
      return status;
    };
    hooks.retire_on_leave = [] { return false; };
    appender = std::make_unique<RecordAppender>(*ring, kSlab, hooks);
    appender->start(kHeader);
    ring->start();
  }
  ~Log() { ring->stop(); }

  // A record of `length` bytes of `fill`; its offset.
  uint64_t write(RecordType type, uint64_t length, uint8_t fill) {
    auto at = appender->begin(length);
    REQUIRE_MESSAGE(at.ok(), at.error_message());
    std::memset(*at, fill, length);
    appender->finish(type, 0, static_cast<uint32_t>(length));
    return appender->position() - copper::log::record_footprint(length);
  }
  const uint8_t* at(uint64_t offset) const { return ring->mapping(offset / kSlab)->data() + offset % kSlab; }
};

}  // namespace

TEST_CASE("log.record_appender.frames_a_record_as_the_spec_says") {
  Log log;
  const uint64_t offset = log.write(RecordType::event, 5, 0xEE);
  CHECK(offset == kHeader);
  const uint8_t* h = log.at(offset);
  const RecordHeader header = RecordHeader::decode(h);
  CHECK(header.sync == copper::log::kRecordSync);
  CHECK(header.type == static_cast<uint16_t>(RecordType::event));
  CHECK(header.flags == 0);
  CHECK(header.length == 5);
  CHECK(copper::log::load_le<uint32_t>(h + RecordHeader::kReserved) == 0);
  CHECK(header.checksum == copper::log::record_checksum(0, h, {h + RecordHeader::kSize, 5}));
  CHECK(std::all_of(h + RecordHeader::kSize + 5, h + RecordHeader::kSize + 8, [](uint8_t b) { return b == 0; }));
  CHECK(log.appender->position() == kHeader + 24 + 8);
  CHECK(log.appender->published_end().load() == log.appender->position());
  CHECK(log.appender->records(RecordType::event) == 1);
  CHECK(log.appender->payload_bytes(RecordType::event) == 5);
}

TEST_CASE("log.record_appender.refuses_a_record_larger_than_a_slab") {
  Log log;
  auto at = log.appender->begin(kSlab);
  REQUIRE_FALSE(at.ok());
  CHECK(at.code() == copper::StatusCode::invalid_argument);
  CHECK(std::string(at.error_message()).find("use a larger slab size") != std::string::npos);
  CHECK(log.appender->position() == kHeader);
}

// The record that does not fit starts the next slab; the tail of the slab
// it left is a padding record, or zeros when not even a header fits.
TEST_CASE("log.record_appender.pads_the_slab_it_leaves") {
  Log log;
  const uint64_t big = kSlab - kHeader - 2 * RecordHeader::kSize - 64;  // leaves 24 + 64 bytes
  log.write(RecordType::copperlists, big, 0x11);
  const uint64_t next = log.write(RecordType::copperlists, 128, 0x22);
  CHECK(next == kSlab);
  const RecordHeader padding = RecordHeader::decode(log.at(kSlab - RecordHeader::kSize - 64));
  CHECK(padding.type == static_cast<uint16_t>(RecordType::padding));
  CHECK(padding.length == 64);
  CHECK(log.appender->records(RecordType::padding) == 1);

  // Now leave 16 bytes at the end of slab 1: too few for a header.
  const uint64_t fill = kSlab - (log.appender->position() - kSlab) - RecordHeader::kSize - 16;
  log.write(RecordType::copperlists, fill, 0x33);
  CHECK(log.appender->position() == 2 * kSlab - 16);
  CHECK(log.write(RecordType::copperlists, 8, 0x44) == 2 * kSlab);
  const uint8_t* tail = log.at(2 * kSlab - 16);
  CHECK(std::all_of(tail, tail + 16, [](uint8_t b) { return b == 0; }));
  CHECK(log.appender->records(RecordType::padding) == 1);
}

// A helper's failure stops the log at the next slab switch, and a slab the
// ring could not prepare becomes the writer's own failure.
TEST_CASE("log.record_appender.a_background_failure_stops_at_the_slab_switch") {
  Log log;
  log.background = Status::io_error("syncing run.copper: Input/output error");
  log.write(RecordType::event, 100, 1);  // no switch: not checked on the hot path
  auto at = log.appender->begin(kSlab - RecordHeader::kSize);
  REQUIRE_FALSE(at.ok());
  CHECK(at.code() == copper::StatusCode::io_error);
  CHECK(log.kept == 0);
}
