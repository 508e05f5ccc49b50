// LogReader: clean, unclosed and compressed logs built byte by byte, and the files it refuses to open.
#include "copper/log/reader.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "fixtures/crafted_logs.hpp"
#include "fixtures/log_reader_helpers.hpp"

namespace {

using namespace reader_test;  // the shared log builders and checks

std::string open_error(std::span<const uint8_t> bytes) {
  TempFile file(bytes);
  auto reader = LogReader::open(file.path());
  REQUIRE_FALSE(reader.ok());
  return std::string(reader.error_message());
}

}  // namespace

TEST_CASE("log.reader.clean.reads_everything") {
  const TestLog log = build_log();
  TempFile file(log.bytes);
  LogReader reader = open_ok(file);

  CHECK(reader.header().version == copper::log::kFormatVersion);
  CHECK(reader.header().checksum_ok);
  CHECK(reader.header().clean_close);
  CHECK(reader.header().run_id_hex == "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf");
  CHECK(reader.slab_size() == kSlab);
  CHECK(reader.metadata()["slots"].size() == 2);
  CHECK(reader.has_footer());
  CHECK(reader.summary()["end_reason"] == "cycles");
  CHECK(log.bytes.size() > 2 * kSlab);  // the log spans slabs, with padding

  CHECK(read_ids(reader, log) == iota_ids(1, 150));
  const auto& report = reader.check();
  CHECK(report.damage.empty());
  CHECK(report.unwritten_tail_bytes == 0);
  CHECK(report.cl_count == 150);
  CHECK(report.first_cl_id == 1);
  CHECK(report.last_cl_id == 150);
  CHECK(report.missing_cls.empty());
  CHECK(report.text_entries == 15);
  CHECK(report.keyframes == 6);
  REQUIRE(report.strings.size() == 1);
  CHECK(report.strings[0].format == "step {} is {}");
  CHECK(report.strings[0].line == 42);
  REQUIRE(report.events.size() == 2);
  CHECK(report.events[1].kind == copper::log::EventKind::stop);
  CHECK(report.events[1].message == "cycles reached");
  REQUIRE(report.sync_marks.size() == 3);
  CHECK(report.sync_marks.back().durable_cls == 120);
}

namespace {

void check_find_and_seek(uint32_t index_stride) {
  const TestLog log = build_log({.index_stride = index_stride});
  TempFile file(log.bytes);
  LogReader reader = open_ok(file);
  for (uint64_t id : {1, 2, 77, 149, 150}) {
    testing_tasks::Explained same{false, "find_copperlist did not call back"};
    CHECK(reader.find_copperlist(id, [&](const CopperListView& cl) { same = same_cl(cl, log.cls.at(id)); }));
    CHECK(same);
  }
  CHECK_FALSE(reader.find_copperlist(0, [](const CopperListView&) {}));
  CHECK_FALSE(reader.find_copperlist(151, [](const CopperListView&) {}));

  std::vector<uint64_t> ids;
  reader.for_each_copperlist(
      [&](const CopperListView& cl) {
        ids.push_back(cl.id);
        return ids.size() < 3;
      },
      100);
  CHECK(ids == std::vector<uint64_t>{100, 101, 102});
}

}  // namespace

TEST_CASE("log.reader.clean.find_and_seek") {
  SUBCASE("dense index") { check_find_and_seek(1); }
  SUBCASE("sparse index") { check_find_and_seek(8); }
}

namespace {

// A writer bug puts a stray copy of copperlist 5 first: the index, dense or
// sparse, leads past it to the real one, while a log without footer can
// only be scanned and meets the stray first.
void check_find_follows_the_index(bool closed, uint64_t stride) {
  LogBuilder log(kSlab);
  log.add(RecordType::metadata, log_bytes::text_bytes(metadata_json().dump()));
  log_bytes::ClEntry stray = make_cl(5);
  stray.time_ns = 999;
  log.add(RecordType::copperlists, log_bytes::copperlists_payload({stray}, 2, 2));
  std::vector<log_bytes::IndexLine> index;
  for (uint64_t id = 1; id <= 10; ++id) {
    const uint64_t offset = log.add(RecordType::copperlists, log_bytes::copperlists_payload({make_cl(id)}, 2, 2));
    if ((id - 1) % stride == 0) index.push_back({id, 1, offset});
  }
  if (closed) add_closing_records(log, index, 10);
  TempFile file(log.image());
  LogReader reader = open_ok(file);
  int64_t time = 0;
  CHECK(reader.find_copperlist(5, [&](const CopperListView& cl) { time = cl.time_ns; }));
  CHECK(time == (closed ? make_cl(5).time_ns : 999));
  CHECK_FALSE(reader.check().damage.empty());  // ids going backwards are reported
}

}  // namespace

TEST_CASE("log.reader.clean.find_follows_the_index") {
  SUBCASE("dense") { check_find_follows_the_index(true, 1); }
  SUBCASE("sparse") { check_find_follows_the_index(true, 3); }
  SUBCASE("no footer") { check_find_follows_the_index(false, 1); }
}

TEST_CASE("log.reader.clean.unclosed_log_has_an_unwritten_tail") {
  const TestLog log = build_log({.cl_count = 60, .clean = false});
  TempFile file(log.bytes);
  LogReader reader = open_ok(file);
  CHECK_FALSE(reader.has_footer());
  CHECK(reader.summary().is_null());
  CHECK(read_ids(reader, log) == iota_ids(1, 60));
  const auto& report = reader.check();
  CHECK(report.damage.empty());
  CHECK(report.unwritten_tail_bytes == log.bytes.size() - log.records.back().footprint_end());
  CHECK(log.bytes.size() % kSlab == 0);
  testing_tasks::Explained found{false, "find_copperlist did not call back"};
  CHECK(reader.find_copperlist(33, [&](const CopperListView& cl) { found = same_cl(cl, log.cls.at(33)); }));
  CHECK(found);
}

TEST_CASE("log.reader.clean.text_and_keyframes") {
  const TestLog log = build_log({.cl_count = 30});
  TempFile file(log.bytes);
  LogReader reader = open_ok(file);
  std::vector<uint64_t> text_cls;
  reader.for_each_text([&](const copper::log::TextEntry& e) {
    CHECK(e.string_id == 1);
    CHECK(e.task_index == 1);
    CHECK(e.level == copper::log::TextLevel::info);
    CHECK(e.arg_count == 2);
    CHECK(e.args.size() == 1 + 8 + 1 + 4 + 2);
    text_cls.push_back(e.cl_id);
    return true;
  });
  CHECK(text_cls == std::vector<uint64_t>{10, 20, 30});
  std::vector<uint64_t> keyframe_cls;
  reader.for_each_keyframe([&](const copper::log::Keyframe& k) {
    REQUIRE(k.states.size() == 2);
    CHECK(k.states[0].state.size() == 3);
    CHECK(k.states[1].task_index == 1);
    CHECK(k.states[1].state.size() == 40);
    keyframe_cls.push_back(k.cl_id);
    return true;
  });
  CHECK(keyframe_cls == std::vector<uint64_t>{25});
}

TEST_CASE("log.reader.json.decodes_through_the_schemas") {
  const TestLog log = build_log({.cl_count = 12});
  TempFile file(log.bytes);
  LogReader reader = open_ok(file);
  nlohmann::json json;
  REQUIRE(reader.find_copperlist(10, [&](const CopperListView& cl) { json = reader.copperlist_to_json(cl); }));
  CHECK(json["id"] == 10);
  CHECK(json["time_ns"] == 10'000'000);
  CHECK(json["tasks"][1] ==
        nlohmann::json{{"id", "planner"}, {"start_ns", 10'000'030}, {"end_ns", 10'000'045}, {"status", "failed"}});
  CHECK(json["slots"]["localizer"]["time_of_validity_ns"] == 10'000'001);
  CHECK(json["slots"]["localizer"]["message"] == copper::to_json(make_pose(10)));
  CHECK(json["slots"]["planner"]["message"] == copper::to_json(make_command(10)));
}

TEST_CASE("log.reader.errors.refused_files") {
  TempFile missing;
  auto result = LogReader::open(missing.path());
  REQUIRE_FALSE(result.ok());
  CHECK(result.error_message().find("no such file") != std::string_view::npos);

  TempFile directory;
  std::filesystem::create_directory(directory.path());
  result = LogReader::open(directory.path());
  REQUIRE_FALSE(result.ok());
  CHECK(result.error_message().find("is a directory") != std::string_view::npos);

  CHECK(open_error({}).find("empty file") != std::string::npos);
  const std::vector<uint8_t> short_file(40, 1);
  CHECK(open_error(short_file).find("too short") != std::string::npos);

  std::vector<uint8_t> bytes = build_log({.cl_count = 3}).bytes;
  bytes[0] = 'X';
  CHECK(open_error(bytes).find("not a copper log") != std::string::npos);
  const std::vector<uint8_t> text(200, 'a');
  CHECK(open_error(text).find("not a copper log") != std::string::npos);
}

TEST_CASE("log.reader.errors.future_version") {
  LogBuilder log(kSlab);
  log.version = copper::log::kFormatVersion + 1;
  log.add(RecordType::metadata, log_bytes::text_bytes("{}"));
  const std::string error = open_error(log.image());
  CHECK(error.find(fmt::format("written by a newer copper: format version {}, this reader knows {}",
                               copper::log::kFormatVersion + 1, copper::log::kFormatVersion)) != std::string::npos);
}

TEST_CASE("log.reader.zstd.compressed_batches") {
  const TestLog log = build_log({.cl_count = 95, .batch = 16, .compress = true});
  TempFile file(log.bytes);
  LogReader reader = open_ok(file);
  CHECK(read_ids(reader, log) == iota_ids(1, 95));
  CHECK(reader.check().damage.empty());
  CHECK(reader.check().cl_count == 95);
  for (uint64_t id : {1, 16, 17, 50, 95}) {
    testing_tasks::Explained same{false, "find_copperlist did not call back"};
    CHECK(reader.find_copperlist(id, [&](const CopperListView& cl) { same = same_cl(cl, log.cls.at(id)); }));
    CHECK(same);
  }
}

// Replay keeps the message spans of many copperlists at once when they lie
// in the file mapping; decompressed ones are only good until next().
TEST_CASE("log.reader.cursor.says_which_views_outlive_next") {
  for (bool compress : {false, true}) {
    INFO("compressed: " << compress);
    const TestLog log = build_log({.cl_count = 40, .batch = 8, .compress = compress});
    TempFile file(log.bytes);
    LogReader reader = open_ok(file);
    auto cursor = reader.copperlists();
    const CopperListView* first = cursor.next();
    REQUIRE(first != nullptr);
    CHECK(cursor.last_in_mapping() == !compress);
    const CopperListView kept = *first;
    const std::vector<copper::log::SlotData> kept_slots(kept.slots.begin(), kept.slots.end());
    uint64_t count = 1;
    while (cursor.next() != nullptr) {
      CHECK(cursor.last_in_mapping() == !compress);
      ++count;
    }
    CHECK(count == 40);
    if (compress) continue;
    const auto& want = log.cls.at(kept.id);
    REQUIRE(kept_slots.size() == want.slots.size());
    for (size_t i = 0; i < kept_slots.size(); ++i)
      CHECK(std::equal(kept_slots[i].bytes.begin(), kept_slots[i].bytes.end(), want.slots[i].bytes.begin(),
                       want.slots[i].bytes.end()));
  }
}

TEST_CASE("log.reader.zstd.bad_frames_are_damage") {
  // Checksums verify (a writer bug, not disk damage), frames do not.
  LogBuilder log(kSlab);
  log.add(RecordType::metadata, log_bytes::text_bytes(metadata_json().dump()));
  log.add_zstd(RecordType::copperlists, log_bytes::copperlists_payload({make_cl(1)}, 2, 2));
  std::vector<uint8_t> cut = log_bytes::zstd_compress(log_bytes::copperlists_payload({make_cl(2)}, 2, 2).data);
  cut.resize(cut.size() - 9);
  const uint64_t cut_at = log.add(static_cast<uint16_t>(RecordType::copperlists), cut, copper::log::kRecordFlagZstd);
  // A frame header claiming a terabyte (single segment, 8-byte content size), then an empty last raw block.
  Bytes absurd;
  absurd.put<uint32_t>(0xFD2FB528).put<uint8_t>(0xE0).put<uint64_t>(uint64_t{1} << 40);
  absurd.put<uint8_t>(1).put<uint8_t>(0).put<uint8_t>(0);
  const uint64_t absurd_at =
      log.add(static_cast<uint16_t>(RecordType::copperlists), absurd.data, copper::log::kRecordFlagZstd);
  const std::vector<uint8_t> not_zstd(64, 0x33);
  const uint64_t not_zstd_at =
      log.add(static_cast<uint16_t>(RecordType::copperlists), not_zstd, copper::log::kRecordFlagZstd);
  log.add_zstd(RecordType::copperlists, log_bytes::copperlists_payload({make_cl(3)}, 2, 2));

  TempFile file(log.image());
  LogReader reader = open_ok(file);
  std::vector<uint64_t> ids;
  reader.for_each_copperlist([&](const CopperListView& cl) {
    CHECK(same_cl(cl, make_cl(cl.id)));
    ids.push_back(cl.id);
    return true;
  });
  CHECK(ids == std::vector<uint64_t>{1, 3});
  const auto& report = reader.check();
  REQUIRE(report.damage.size() == 3);
  CHECK(report.damage[0].offset == cut_at);
  CHECK(report.damage[0].reason.find("zstd") != std::string::npos);
  CHECK(report.damage[1].offset == absurd_at);
  CHECK(report.damage[1].reason.find("claims 1099511627776 bytes") != std::string::npos);
  CHECK(report.damage[2].offset == not_zstd_at);
}

TEST_CASE("log.reader.regression.metadata_nested_100k_levels_is_damage_not_a_crash") {
  // Checksummed and valid JSON, but 100k levels deep: the dump and copies
  // of such a document recurse, which crashed recover and copper-replay.
  TempFile file;
  crafted::write_log(file.path(), crafted::deep_metadata(100'000), {crafted::one_task_cl(0, 1000, 1000, 2000)});
  LogReader reader = open_ok(file);
  CHECK(reader.metadata().is_null());
  const auto& damage = reader.check().damage;
  REQUIRE_FALSE(damage.empty());
  CHECK(damage.front().reason.find("metadata unreadable: nested deeper than 128 levels at doc[0]") !=
        std::string::npos);

  // One level inside the limit reads: 127 arrays under the top object.
  crafted::write_log(file.path(), crafted::deep_metadata(127), {crafted::one_task_cl(0, 1000, 1000, 2000)});
  LogReader at_limit = open_ok(file);
  CHECK(at_limit.metadata().is_object());
}
