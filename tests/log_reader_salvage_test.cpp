// LogReader on damaged logs: every value it returns was written, every intact record is returned, all damage reported.
#include <doctest/doctest.h>

#include <algorithm>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "copper/log/reader.hpp"
#include "fixtures/explained.hpp"
#include "log/layout.hpp"
#include "fixtures/log_reader_helpers.hpp"

namespace {

using namespace reader_test;  // the shared log builders and checks

// Some damage starts at `offset`; the evidence lists every damage found.
testing_tasks::Explained has_damage_at(const copper::log::CheckReport& report, uint64_t offset) {
  std::string found;
  for (const auto& d : report.damage) found += fmt::format("\n  at {}, {} bytes: {}", d.offset, d.length, d.reason);
  return {std::any_of(report.damage.begin(), report.damage.end(), [&](const auto& d) { return d.offset == offset; }),
          fmt::format("damage at offset {} among:{}", offset, found.empty() ? std::string(" (none)") : found)};
}

}  // namespace

TEST_CASE("log.reader.salvage.header_checksum_damaged") {
  TestLog log = build_log({.cl_count = 40});
  log.bytes[copper::log::header::kCreated] ^= 0x10;
  TempFile file(log.bytes);
  LogReader reader = open_ok(file);
  CHECK_FALSE(reader.header().checksum_ok);
  CHECK(reader.slab_size() == kSlab);  // from the metadata
  CHECK(read_ids(reader, log) == iota_ids(1, 40));
  REQUIRE_FALSE(reader.check().damage.empty());
  CHECK(reader.check().damage.front().offset == 0);
  CHECK(reader.check().damage.front().reason.find("header checksum") != std::string::npos);

  // Without the metadata either, the 8 MiB default still finds every
  // copperlist; the slab ends it cannot explain are reported.
  log.bytes[copper::log::kFileHeaderSize + copper::log::kRecordHeaderSize] ^= 0x01;
  file.write(log.bytes);
  LogReader blind = open_ok(file);
  CHECK(blind.metadata().is_null());
  CHECK(blind.slab_size() == copper::log::kDefaultSlabSize);
  CHECK(read_ids(blind, log) == iota_ids(1, 40));
  CHECK(has_damage_at(blind.check(), copper::log::kFileHeaderSize));
}

TEST_CASE("log.reader.salvage.truncated_everywhere") {
  const TestLog log = build_log({.cl_count = 100});
  std::set<uint64_t> cuts;
  for (const auto& r : log.records) {
    cuts.insert(r.offset);
    cuts.insert(r.offset + 5);
    cuts.insert(r.offset + copper::log::kRecordHeaderSize + r.payload_length / 2);
    cuts.insert(r.end() - 1);
  }
  cuts.insert(log.bytes.size());
  TempFile file;
  for (uint64_t cut : cuts) {
    if (cut < copper::log::kFileHeaderSize || cut > log.bytes.size()) continue;
    CAPTURE(cut);
    file.write(std::span<const uint8_t>(log.bytes).first(cut));
    LogReader reader = open_ok(file);
    uint64_t whole = 0;  // copperlist records that survived the cut
    for (const auto& r : log.records)
      if (r.type == static_cast<uint16_t>(RecordType::copperlists) && r.end() <= cut) ++whole;
    CHECK(read_ids(reader, log) == iota_ids(1, whole));
    const auto& report = reader.check();
    CHECK(report.cl_count == whole);
    CHECK(report.damage.empty() == (cut == log.bytes.size()));  // a closed log that lost its end is damaged
    for (const auto& d : report.damage) CHECK(d.offset + d.length <= cut);
  }
}

TEST_CASE("log.reader.salvage.random_bit_flips") {
  const TestLog log = build_log({.cl_count = 80});
  std::mt19937_64 rng(20240611);
  TempFile file;
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<uint8_t> bytes = log.bytes;
    const uint64_t at = rng() % bytes.size();
    bytes[at] ^= static_cast<uint8_t>(1u << (rng() % 8));
    CAPTURE(trial);
    CAPTURE(at);
    file.write(bytes);
    auto opened = LogReader::open(file.path());
    if (!opened) {
      CHECK(at < copper::log::kFileMagic.size());
      continue;
    }
    LogReader& reader = opened.value();
    // The one record the flip landed in, if it landed in checksummed bytes.
    std::optional<size_t> hit;
    for (size_t i = 0; i < log.records.size(); ++i)
      if (at >= log.records[i].offset && at < log.records[i].end()) hit = i;
    std::vector<uint64_t> expected;
    for (const auto& [id, record] : log.record_of_cl)
      if (record != hit) expected.push_back(id);
    CHECK(read_ids(reader, log) == expected);
    if (hit || at < copper::log::kFileHeaderSize) CHECK_FALSE(reader.check().damage.empty());
    const uint64_t probe = 1 + rng() % 80;
    const bool found =
        reader.find_copperlist(probe, [&](const CopperListView& cl) { CHECK(same_cl(cl, log.cls.at(probe))); });
    CHECK(found == (log.record_of_cl.at(probe) != hit));
  }
}

TEST_CASE("log.reader.salvage.zeroed_page") {
  TestLog log = build_log({.cl_count = 100});
  const uint64_t page = (log.bytes.size() / 2) & ~uint64_t{4095};
  std::fill_n(log.bytes.begin() + static_cast<std::ptrdiff_t>(page), 4096, 0);
  TempFile file(log.bytes);
  LogReader reader = open_ok(file);
  std::vector<uint64_t> expected;
  for (const auto& [id, record] : log.record_of_cl) {
    const auto& r = log.records[record];
    if (r.end() <= page || r.offset >= page + 4096) expected.push_back(id);
  }
  CHECK(expected.size() < 100);
  CHECK(expected.front() == 1);
  CHECK(expected.back() == 100);
  CHECK(read_ids(reader, log) == expected);
  const auto& report = reader.check();
  REQUIRE(report.damage.size() == 2);
  CHECK(report.damage[0].offset <= page);
  CHECK(report.damage[0].offset + report.damage[0].length >= page + 4096);
  CHECK(report.damage[1].reason.find("the footer counts 100 copperlists") != std::string::npos);
  CHECK(report.missing_cls.size() == 1);
}

TEST_CASE("log.reader.salvage.zeroed_records_then_valid_ones") {
  TestLog log = build_log({.cl_count = 20, .clean = false});
  const auto& first = log.records[log.record_of_cl.at(5)];
  const auto& last = log.records[log.record_of_cl.at(6)];
  std::fill(log.bytes.begin() + static_cast<std::ptrdiff_t>(first.offset),
            log.bytes.begin() + static_cast<std::ptrdiff_t>(last.footprint_end()), 0);
  TempFile file(log.bytes);
  LogReader reader = open_ok(file);
  std::vector<uint64_t> expected = iota_ids(1, 20);
  expected.erase(expected.begin() + 4, expected.begin() + 6);
  CHECK(read_ids(reader, log) == expected);
  const auto& report = reader.check();
  REQUIRE(report.damage.size() == 1);
  CHECK(report.damage[0].offset == first.offset);
  CHECK(report.damage[0].length == last.footprint_end() - first.offset);
  CHECK(report.damage[0].reason == "zeroed range");
  CHECK(report.unwritten_tail_bytes > 0);
  CHECK(report.missing_cls == std::vector<std::pair<uint64_t, uint64_t>>{{5, 6}});
}

TEST_CASE("log.reader.salvage.torn_last_record") {
  // A crash mid-append: a record's head is written, the rest of the slab is zero.
  TestLog log = build_log({.cl_count = 10, .clean = false});
  const auto& torn = log.records[log.record_of_cl.at(10)];
  std::fill(log.bytes.begin() + static_cast<std::ptrdiff_t>(torn.offset + 40), log.bytes.end(), 0);
  TempFile file(log.bytes);
  LogReader reader = open_ok(file);
  CHECK(read_ids(reader, log) == iota_ids(1, 9));
  const auto& report = reader.check();
  REQUIRE(report.damage.size() == 1);
  CHECK(report.damage[0].offset == torn.offset);
  CHECK(report.damage[0].length == 40);
  CHECK(report.unwritten_tail_bytes == log.bytes.size() - torn.offset - 40);
}

TEST_CASE("log.reader.salvage.malformed_copperlists_with_valid_checksum") {
  LogBuilder log(kSlab);
  log.add(RecordType::metadata, log_bytes::text_bytes(metadata_json().dump()));
  log.add(RecordType::copperlists, log_bytes::copperlists_payload({make_cl(1)}, 2, 2));
  Bytes wrong_shape = log_bytes::copperlists_payload({make_cl(2)}, 2, 2);
  copper::log::store_le<uint32_t>(wrong_shape.data.data() + 12, 3);  // slot_count
  const uint64_t shape_at = log.add(RecordType::copperlists, wrong_shape);
  Bytes long_entry = log_bytes::copperlists_payload({make_cl(3)}, 2, 2);
  copper::log::store_le<uint32_t>(long_entry.data.data() + 24, 0xFFFFFFF0);  // entry_length
  const uint64_t long_at = log.add(RecordType::copperlists, long_entry);
  Bytes many = log_bytes::copperlists_payload({make_cl(4)}, 2, 2);
  copper::log::store_le<uint32_t>(many.data.data() + 8, 0x7FFFFFFF);  // cl_count
  const uint64_t many_at = log.add(RecordType::copperlists, many);
  log.add(99, std::vector<uint8_t>{1, 2, 3});  // a record type from the future
  log.add(RecordType::copperlists, log_bytes::copperlists_payload({make_cl(5)}, 2, 2));

  TempFile file(log.image());
  LogReader reader = open_ok(file);
  std::vector<uint64_t> ids;
  reader.for_each_copperlist([&](const CopperListView& cl) {
    ids.push_back(cl.id);
    return true;
  });
  CHECK(ids == std::vector<uint64_t>{1, 5});
  const auto& report = reader.check();
  REQUIRE(report.damage.size() == 3);
  CHECK(report.damage[0].offset == shape_at);
  CHECK(report.damage[0].reason.find("metadata has 2 and 2") != std::string::npos);
  CHECK(report.damage[1].offset == long_at);
  CHECK(report.damage[1].reason.find("entry_length") != std::string::npos);
  CHECK(report.damage[2].offset == many_at);
  CHECK(report.records_by_type.at("unknown(99)") == 1);
}

TEST_CASE("log.reader.salvage.garbage_never_crashes") {
  // Bytes that look like records everywhere: sync words with random lengths.
  std::mt19937_64 rng(7);
  for (int trial = 0; trial < 20; ++trial) {
    LogBuilder log(kSlab);
    log.add(RecordType::metadata, log_bytes::text_bytes(metadata_json().dump()));
    std::vector<uint8_t> bytes = log.image();
    bytes.resize(bytes.size() + 8192);
    for (size_t i = log.size(); i + 8 <= bytes.size(); i += 8) {
      copper::log::store_le<uint32_t>(bytes.data() + i,
                                      rng() % 3 ? copper::log::kRecordSync : static_cast<uint32_t>(rng()));
      copper::log::store_le<uint32_t>(bytes.data() + i + 4, static_cast<uint32_t>(rng()));
    }
    TempFile file(bytes);
    LogReader reader = open_ok(file);
    CHECK(reader.check().cl_count == 0);
    CHECK_FALSE(reader.check().damage.empty());
  }
}

TEST_CASE("log.reader.salvage.random_payloads_with_valid_checksums") {
  // Checksums prove nothing about a buggy or hostile writer: every parser
  // must survive any payload, and JSON export any verified copperlist.
  std::mt19937_64 rng(99);
  const std::vector<Bytes> seeds = {
      log_bytes::copperlists_payload({make_cl(1), make_cl(2)}, 2, 2),
      log_bytes::text_payload({log_bytes::TextLine{3, 0, 1, 2, {}}}),
      log_bytes::string_payload(1, 2, 3, "a.cpp", "{}"),
      log_bytes::keyframe_payload(4, {{0, {1, 2}}}),
      log_bytes::event_payload(copper::log::EventKind::error, 5, 6, "boom"),
      log_bytes::sync_payload(1, 2, 3),
      log_bytes::index_payload({{1, 1, 64}}),
      log_bytes::footer_payload(1, 2, 3, 4),
  };
  const std::vector<RecordType> types = {RecordType::copperlists, RecordType::text,  RecordType::string,
                                         RecordType::keyframe,    RecordType::event, RecordType::sync,
                                         RecordType::index,       RecordType::footer};
  for (int trial = 0; trial < 300; ++trial) {
    LogBuilder log(kSlab);
    log.add(RecordType::metadata, log_bytes::text_bytes(metadata_json().dump()));
    for (int r = 0; r < 8; ++r) {
      const size_t which = rng() % seeds.size();
      std::vector<uint8_t> payload = seeds[which].data;
      for (int flips = static_cast<int>(rng() % 4); flips >= 0; --flips)
        payload[rng() % payload.size()] = static_cast<uint8_t>(rng());
      if (rng() % 4 == 0) payload.resize(rng() % (payload.size() + 1));
      log.add(static_cast<uint16_t>(types[which]), payload);
    }
    TempFile file(log.image());
    LogReader reader = open_ok(file);
    reader.check();
    reader.for_each_copperlist([&](const CopperListView& cl) {
      CHECK(reader.copperlist_to_json(cl).is_object());
      return true;
    });
    reader.for_each_text([](const copper::log::TextEntry&) { return true; });
    reader.for_each_keyframe([](const copper::log::Keyframe&) { return true; });
    reader.find_copperlist(rng() % 4, [](const CopperListView&) {});
  }
}
