// detail::map_region (libcopper/src/log/page_mapping.cpp): the arithmetic of
// huge-page mappings. The address must be congruent to the file offset
// modulo 2 MiB, the mapping must hold exactly the bytes asked for (length 0
// meaning "to the end of the file"), and the address space reserved to find
// that placement must be given back. log_file_test.cpp covers writing
// through LogFile's mappings; this covers map_region's own cases.
#include <doctest/doctest.h>

#include <boost/interprocess/exceptions.hpp>
#include <boost/interprocess/file_mapping.hpp>
#include <boost/interprocess/mapped_region.hpp>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <vector>

#include "fixtures/scratch_dir.hpp"
#include "log/page_mapping.hpp"

namespace bip = boost::interprocess;
using copper::log::PageSize;
using copper::log::detail::kHugePageSize;
using copper::log::detail::map_region;

namespace {

constexpr uint64_t kMiB = 1u << 20;
// Not a whole number of pages, so "to the end of the file" ends mid-page.
constexpr uint64_t kFileSize = 6 * kMiB + 12344;

// The file's 8-byte word at byte offset `at` (a multiple of 8): a scramble
// of `at`, so a word read through a mapping says where in the file it came
// from, and a mapping off by any number of words reads wrong words.
uint64_t word_at(uint64_t at) { return at * 0x9E3779B97F4A7C15ull ^ 0x5bd1e995u; }

void write_pattern(const std::filesystem::path& path) {
  std::vector<uint64_t> words(kFileSize / 8);
  for (uint64_t i = 0; i < words.size(); ++i) words[i] = word_at(i * 8);
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(words.data()), static_cast<std::streamsize>(kFileSize));
  REQUIRE(out.good());
}

// Every word of the mapping, and its last byte, is the file's at offset + position.
void check_holds_the_file(const bip::mapped_region& region, uint64_t offset) {
  const auto* bytes = static_cast<const uint8_t*>(region.get_address());
  uint64_t wrong = 0;
  for (uint64_t at = 0; at + 8 <= region.get_size(); at += 8) {
    uint64_t word = 0;
    std::memcpy(&word, bytes + at, 8);
    wrong += word != word_at(offset + at);
  }
  CHECK(wrong == 0);
}

// The process's virtual size in pages (/proc/self/statm, first field).
uint64_t virtual_pages() {
  std::ifstream statm("/proc/self/statm");
  uint64_t pages = 0;
  statm >> pages;
  REQUIRE(statm);
  return pages;
}

}  // namespace

TEST_CASE("log.page_mapping.huge_mappings_sit_at_the_file_offset_modulo_2_mib") {
  const copper_test::ScratchDir dir("copper_page_mapping");
  const auto path = dir / "pattern.bin";
  write_pattern(path);
  const bip::file_mapping file(path.c_str(), bip::read_only);
  struct Case {
    uint64_t offset;
    uint64_t length;  // 0: to the end of the file
  };
  const Case cases[] = {
      {0, 0},                            // the whole file
      {0, 4096},                         // one page
      {3 * kMiB, 2 * kMiB + 100},        // 1 MiB into a huge page, a length that is no page multiple
      {4 * kMiB + 4096, 0},              // to the end, which is mid-page
      {kHugePageSize - 4096, 2 * 4096},  // straddles a 2 MiB boundary of the file
  };
  for (const Case& c : cases) {
    CAPTURE(c.offset);
    CAPTURE(c.length);
    const uint64_t expected_size = c.length ? c.length : kFileSize - c.offset;
    for (const PageSize pages : {PageSize::normal, PageSize::huge}) {
      CAPTURE(static_cast<int>(pages));
      const bip::mapped_region region = map_region(file, bip::read_only, c.offset, c.length, pages);
      CHECK(region.get_size() == expected_size);
      const auto address = reinterpret_cast<uintptr_t>(region.get_address());
      if (pages == PageSize::huge) CHECK(address % kHugePageSize == c.offset % kHugePageSize);
      check_holds_the_file(region, c.offset);
    }
  }
}

TEST_CASE("log.page_mapping.offset_past_the_end_fails_as_a_normal_mapping_does") {
  // Length 0 with nothing after the offset: map_region promises the
  // mapped_region constructor's behaviour, so both page sizes must refuse
  // alike rather than hand back an empty or wild mapping.
  const copper_test::ScratchDir dir("copper_page_mapping_end");
  const auto path = dir / "pattern.bin";
  write_pattern(path);
  const bip::file_mapping file(path.c_str(), bip::read_only);
  const uint64_t past_end = kFileSize + 4096 - kFileSize % 4096;
  CHECK_THROWS_AS(map_region(file, bip::read_only, past_end, 0, PageSize::normal), bip::interprocess_exception);
  CHECK_THROWS_AS(map_region(file, bip::read_only, past_end, 0, PageSize::huge), bip::interprocess_exception);
}

TEST_CASE("log.page_mapping.reserved_address_space_is_given_back") {
  // To place a mapping, map_region reserves 4 MiB more address space than it
  // maps and unmaps the spare head and tail. If it kept them, every slab
  // the writer maps would leak 4 MiB of address space: 64 mappings would
  // grow the process by 256 MiB. Allow 32 MiB for the allocator's own
  // growth meanwhile.
  const copper_test::ScratchDir dir("copper_page_mapping_leak");
  const auto path = dir / "pattern.bin";
  write_pattern(path);
  const bip::file_mapping file(path.c_str(), bip::read_only);
  const uint64_t page = static_cast<uint64_t>(bip::mapped_region::get_page_size());
  // Warm up once, so lazily set-up state (the page size, the allocator) is not counted.
  { const bip::mapped_region warm = map_region(file, bip::read_only, kMiB, 2 * kMiB, PageSize::huge); }
  const uint64_t before = virtual_pages();
  for (int i = 0; i < 64; ++i) {
    const bip::mapped_region region = map_region(file, bip::read_only, kMiB, 2 * kMiB, PageSize::huge);
    CHECK(region.get_size() == 2 * kMiB);
  }
  const uint64_t after = virtual_pages();
  CAPTURE(before);
  CAPTURE(after);
  CHECK(after * page <= before * page + 32 * kMiB);
}
