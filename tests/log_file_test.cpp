// LogFile and FileView: the real POSIX file, and fault injection through
// FaultyLogFile and faulty_file_views.
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <string>

#include "copper/log/file.hpp"
#include "copper/log/policy.hpp"
#include "copper/log/reader.hpp"
#include "fixtures/explained.hpp"
#include "fixtures/log_tool.hpp"
#include "fixtures/scratch_dir.hpp"
#include "log/faulty_file.hpp"
#include "log/page_mapping.hpp"

using copper::log::FaultyLogFile;
using copper::log::LogFile;
using copper::log::OpenMode;
using copper::log::PageSize;
using copper::log::detail::kHugePageSize;

namespace {

// Each test's own directory, named for this file's tests.
struct ScratchDir : copper_test::ScratchDir {
  ScratchDir() : copper_test::ScratchDir("copper_log_file_test") {}
};

std::unique_ptr<LogFile> open_or_fail(const std::filesystem::path& path, OpenMode mode) {
  auto file = copper::log::open_log_file(path, mode);
  INFO(file.error_message());
  REQUIRE(file.ok());
  return std::move(file).value();
}

using testing_tasks::contains;

}  // namespace

TEST_CASE("log.file.create_new_refuses_an_existing_file") {
  ScratchDir dir;
  const auto path = dir / "run.copper";
  std::ofstream(path) << "precious";
  auto file = copper::log::open_log_file(path, OpenMode::create_new);
  REQUIRE_FALSE(file.ok());
  CHECK(contains(file.error_message(), "exists; use --force"));
  CHECK(std::filesystem::file_size(path) == 8);
  // Overwriting writes a new file beside it, put in place by publish().
  auto replaced = open_or_fail(path, OpenMode::overwrite);
  CHECK(std::filesystem::file_size(path) == 8);
  REQUIRE(replaced->publish().ok());
  CHECK(std::filesystem::file_size(path) == 0);
}

TEST_CASE("log.file.reserve_map_flush_truncate") {
  for (const PageSize pages : {PageSize::normal, PageSize::huge}) {
    CAPTURE(static_cast<int>(pages));
    ScratchDir dir;
    const auto path = dir / "run.copper";
    auto file = open_or_fail(path, OpenMode::create_new);
    REQUIRE(file->reserve(128u << 10).ok());
    CHECK(std::filesystem::file_size(path) == (128u << 10));
    {
      auto mapping = file->map(64u << 10, 64u << 10, pages);
      REQUIRE(mapping.ok());
      CHECK((*mapping)->offset() == (64u << 10));
      CHECK((*mapping)->size() == (64u << 10));
      CHECK((*mapping)->data()[100] == 0);  // reserved space reads as zeros
      (*mapping)->data()[100] = 0xAB;
      CHECK(file->flush(**mapping, (64u << 10) + 100, 1).ok());
      CHECK(file->datasync().ok());
    }
    auto again = file->map(64u << 10, 4096, PageSize::normal);
    REQUIRE(again.ok());
    CHECK((*again)->data()[100] == 0xAB);
    REQUIRE(file->truncate(1000).ok());
    CHECK(std::filesystem::file_size(path) == 1000);
  }
}

// Huge-page mappings sit where a 2 MiB page of the file can map to a 2 MiB
// page of memory, and what is stored through them is in the file, across
// 2 MiB boundaries and after the mappings are gone.
TEST_CASE("log.file.huge_page_mappings_are_aligned_and_write_through") {
  constexpr uint64_t kSlab = 4u << 20;
  ScratchDir dir;
  const auto path = dir / "run.copper";
  auto file = open_or_fail(path, OpenMode::create_new);
  REQUIRE(file->reserve(3 * kSlab).ok());
  for (const uint64_t offset : {uint64_t{0}, kSlab, 2 * kSlab + (64u << 10)}) {
    auto mapping = file->map(offset, kSlab - (64u << 10), PageSize::huge);
    REQUIRE(mapping.ok());
    const auto address = reinterpret_cast<uintptr_t>((*mapping)->data());
    CHECK(address % kHugePageSize == offset % kHugePageSize);
    for (uint64_t at = 0; at < (*mapping)->size(); at += 4096)
      (*mapping)->data()[at] = static_cast<uint8_t>((offset + at) >> 12);
    CHECK(file->flush(**mapping, offset, (*mapping)->size()).ok());
  }
  REQUIRE(file->datasync().ok());
  file.reset();
  REQUIRE(std::filesystem::file_size(path) == 3 * kSlab);
  std::string bytes(3 * kSlab, '\xFF');
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.read(bytes.data(), static_cast<std::streamsize>(bytes.size())));
  uint64_t wrong = 0;
  for (const uint64_t offset : {uint64_t{0}, kSlab, 2 * kSlab + (64u << 10)})
    for (uint64_t at = 0; at < kSlab - (64u << 10); at += 4096)
      wrong += static_cast<uint8_t>(bytes[offset + at]) != static_cast<uint8_t>((offset + at) >> 12);
  CHECK(wrong == 0);
  CHECK(bytes[1] == 0);  // between the stores: still the reserved zeros
}

TEST_CASE("log.file.faulty_file_fails_from_the_nth_call_with_strerror") {
  ScratchDir dir;
  FaultyLogFile file(open_or_fail(dir / "run.copper", OpenMode::create_new));
  file.fail(FaultyLogFile::Op::reserve, 2, ENOSPC);
  CHECK(file.reserve(65536).ok());
  copper::Status second = file.reserve(131072);
  REQUIRE_FALSE(second.ok());
  CHECK(contains(second.message(), "growing "));
  CHECK(contains(second.message(), "run.copper to 131072 bytes: No space left on device"));
  CHECK_FALSE(file.reserve(131072).ok());
  CHECK(file.calls(FaultyLogFile::Op::reserve) == 3);
  CHECK(std::filesystem::file_size(dir / "run.copper") == 65536);

  CHECK(file.start_writeback(0, 4096).ok());
  file.fail(FaultyLogFile::Op::start_writeback, 1, EIO);
  CHECK(contains(file.start_writeback(0, 4096).message(), "(sync_file_range): Input/output error"));

  file.fail(FaultyLogFile::Op::datasync, 1, EIO);
  copper::Status sync = file.datasync();
  CHECK(contains(sync.message(), "(fdatasync): Input/output error"));
  CHECK(file.truncate(10).ok());
}

TEST_CASE("log.policy.parse_accepts_what_the_config_accepts") {
  using copper::log::Compression;
  using copper::log::FsyncPolicy;
  CHECK(FsyncPolicy::parse("none")->kind == FsyncPolicy::Kind::none);
  CHECK(FsyncPolicy::parse("commit")->kind == FsyncPolicy::Kind::commit);
  CHECK(FsyncPolicy::parse("bytes:8MiB")->bytes == (8u << 20));
  CHECK(FsyncPolicy::parse("bytes:4096")->bytes == 4096);
  CHECK(FsyncPolicy::parse("bytes:2KiB")->bytes == 2048);
  CHECK(FsyncPolicy::parse("bytes:1GiB")->bytes == (1u << 30));
  CHECK(FsyncPolicy::parse("interval:250")->interval_ms == 250);
  for (const char* bad : {"", "always", "bytes:", "bytes:0", "bytes:8MB", "interval:0", "interval:5s", "bytes:-1"})
    CHECK_MESSAGE(!FsyncPolicy::parse(bad).ok(), bad);
  CHECK(FsyncPolicy::parse("bytes:8MiB")->to_string() == "bytes:8MiB");
  CHECK(FsyncPolicy::parse("bytes:1000")->to_string() == "bytes:1000");
  CHECK(FsyncPolicy::parse("interval:20")->to_string() == "interval:20");

  CHECK(Compression::parse("none")->kind == Compression::Kind::none);
  CHECK(Compression::parse("zstd")->level == 3);
  CHECK(Compression::parse("zstd:19")->level == 19);
  for (const char* bad : {"zstd:0", "zstd:23", "zstd:", "lz4", "zstd:3x"})
    CHECK_MESSAGE(!Compression::parse(bad).ok(), bad);
  CHECK(Compression::parse("zstd:7")->to_string() == "zstd:7");
}

// Reads go through FileView, so a read fault can be injected as a write
// fault can; the reader turns each into a clean error or reported damage.
TEST_CASE("log.file.read_fault_on_open_is_a_clean_io_error") {
  copper::log::ReadFaults faults;
  faults.open_errno = EIO;
  const auto path = testing_tasks::corpus_file("clean.copper");
  auto reader = copper::log::LogReader::open(path, copper::log::faulty_file_views(faults));
  REQUIRE_FALSE(reader.ok());
  CHECK(reader.code() == copper::StatusCode::io_error);
  CHECK(contains(reader.error_message(), path));
  CHECK(contains(reader.error_message(), "Input/output error"));
}

TEST_CASE("log.file.mapping_shorter_than_the_header_is_refused") {
  copper::log::ReadFaults faults;
  faults.visible_bytes = 40;
  auto reader =
      copper::log::LogReader::open(testing_tasks::corpus_file("clean.copper"), copper::log::faulty_file_views(faults));
  REQUIRE_FALSE(reader.ok());
  CHECK(reader.code() == copper::StatusCode::io_error);
  CHECK(contains(reader.error_message(), "40 bytes mapped"));
}

// A short mapping is a file cut short: the reader salvages what it sees and
// reports the rest as damage, as it does for a truncated file.
TEST_CASE("log.file.short_mapping_reads_as_a_cut_file") {
  const auto path = testing_tasks::corpus_file("clean.copper");
  auto whole = copper::log::LogReader::open(path);
  REQUIRE(whole.ok());
  const uint64_t all = whole->check().cl_count;
  REQUIRE(all > 10);

  copper::log::ReadFaults faults;
  faults.visible_bytes = std::filesystem::file_size(path) / 2;
  auto half = copper::log::LogReader::open(path, copper::log::faulty_file_views(faults));
  REQUIRE_MESSAGE(half.ok(), half.error_message());
  CHECK(half->file_size() == *faults.visible_bytes);
  const auto& report = half->check();
  CHECK(report.cl_count > 0);
  CHECK(report.cl_count < all);
  CHECK_FALSE(report.clean());  // the footer is gone, and said to be
  uint64_t seen = 0;
  half->for_each_copperlist([&](const copper::log::CopperListView&) { return ++seen, true; });
  CHECK(seen == report.cl_count);
}

TEST_CASE("log.regression.second_writer_on_a_log_is_refused_naming_the_holder") {
  ScratchDir dir;
  const auto path = dir / "run.copper";
  auto first = open_or_fail(path, OpenMode::create_new);
  REQUIRE(first->publish().ok());
  auto second = copper::log::open_log_file(path, OpenMode::overwrite);
  REQUIRE_FALSE(second.ok());
  CHECK(second.status().code() == copper::StatusCode::already_exists);
  CHECK(contains(second.error_message(), "is being written by another process (pid " + std::to_string(getpid())));
  first.reset();  // the lock goes with the writer
  auto third = copper::log::open_log_file(path, OpenMode::overwrite);
  CHECK(third.ok());
}

TEST_CASE("log.regression.force_never_replaces_what_is_not_a_regular_file") {
  ScratchDir dir;
  const auto fifo = dir / "fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  auto file = copper::log::open_log_file(fifo, OpenMode::overwrite);
  REQUIRE_FALSE(file.ok());
  CHECK(contains(file.error_message(), "is a FIFO (named pipe): a log is written only over a regular file"));
  CHECK(std::filesystem::is_fifo(fifo));
  const auto directory = dir / "sub";
  std::filesystem::create_directory(directory);
  auto over_directory = copper::log::open_log_file(directory, OpenMode::overwrite);
  REQUIRE_FALSE(over_directory.ok());
  CHECK(contains(over_directory.error_message(), "is a directory"));
  CHECK(std::filesystem::is_directory(directory));
  // A character device: a symlink to /dev/null is followed to it.
  const auto device = dir / "null";
  std::filesystem::create_symlink("/dev/null", device);
  auto over_device = copper::log::open_log_file(device, OpenMode::overwrite);
  REQUIRE_FALSE(over_device.ok());
  CHECK(contains(over_device.error_message(), "is a character device"));
  CHECK(std::filesystem::is_character_file("/dev/null"));
}
