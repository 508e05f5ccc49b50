// LogReader: reading clean, unclosed and damaged logs built byte by byte
// with fixtures/log_bytes.hpp. The central claims: every returned value was
// written, every intact record is returned, every damaged range is reported.
#include "copper/log/reader.hpp"

#include <doctest/doctest.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <random>
#include <set>

#include <fmt/format.h>

#include "copper/message.hpp"
#include "fixtures/log_bytes.hpp"

namespace reader_test {

struct Pose {
  double x = 0, y = 0;
  std::string frame;
  std::vector<float> covariance;
};
BOOST_DESCRIBE_STRUCT(Pose, (), (x, y, frame, covariance))

struct Command {
  int32_t mode = 0;
  std::vector<int16_t> wheels;
  bool brake = false;
};
BOOST_DESCRIBE_STRUCT(Command, (), (mode, wheels, brake))

}  // namespace reader_test

namespace {

using copper::log::CopperListView;
using copper::log::LogReader;
using copper::log::RecordType;
using log_bytes::Bytes;
using log_bytes::LogBuilder;
using reader_test::Command;
using reader_test::Pose;

constexpr uint64_t kSlab = 64u << 10;

// A file under the temp directory, removed at scope exit.
class TempFile {
 public:
  TempFile() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("copper_reader_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + ".copper");
  }
  explicit TempFile(std::span<const uint8_t> bytes) : TempFile() { write(bytes); }
  ~TempFile() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  void write(std::span<const uint8_t> bytes) const { log_bytes::write_file(path_, bytes); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

Pose make_pose(uint64_t i) {
  Pose p{0.5 * static_cast<double>(i), -static_cast<double>(i), "map", {}};
  p.covariance.resize(150 + i % 40, static_cast<float>(i) * 0.25f);
  return p;
}

Command make_command(uint64_t i) {
  return Command{static_cast<int32_t>(i % 3), std::vector<int16_t>(20 + i % 7, static_cast<int16_t>(i)), i % 2 == 1};
}

std::vector<uint8_t> encoded(const auto& msg) {
  std::vector<uint8_t> out;
  copper::encode(msg, out);
  return out;
}

log_bytes::ClEntry make_cl(uint64_t id) {
  const auto t = static_cast<int64_t>(id) * 1'000'000;
  return log_bytes::ClEntry{id,
                            t,
                            {{t + 10, t + 20, 1}, {t + 30, t + 45, id % 5 == 0 ? uint8_t{2} : uint8_t{1}}},
                            {{t + 1, encoded(make_pose(id))}, {t + 2, encoded(make_command(id))}}};
}

nlohmann::json metadata_json() {
  auto slot = [](int index, const char* producer, const nlohmann::json& schema) {
    return nlohmann::json{{"index", index},
                          {"producer", producer},
                          {"type", schema["name"]},
                          {"schema", schema},
                          {"schema_hash", fmt::format("{:016x}", copper::schema_hash(schema))}};
  };
  return {
      {"format_version", 1},
      {"run_id", "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"},
      {"created_unix_ns", 0},
      {"slab_size", kSlab},
      {"tasks",
       {{{"index", 0}, {"id", "localizer"}, {"kind", "source"}, {"output_slot", 0}},
        {{"index", 1}, {"id", "planner"}, {"kind", "task"}, {"output_slot", 1}}}},
      {"slots", {slot(0, "localizer", copper::schema_of<Pose>()), slot(1, "planner", copper::schema_of<Command>())}}};
}

struct Options {
  uint64_t cl_count = 150;
  bool clean = true;
  uint32_t batch = 1;  // copperlists per record
  bool compress = false;
  uint32_t index_stride = 1;  // a writer may keep only every n-th record in the index
};

// A log built by the spec, and what went into it.
struct TestLog {
  std::vector<uint8_t> bytes;
  std::vector<log_bytes::RecordInfo> records;
  std::map<uint64_t, log_bytes::ClEntry> cls;
  std::map<uint64_t, size_t> record_of_cl;  // cl id -> index into records
};

void add_side_records(LogBuilder& log, uint64_t id) {
  if (id % 10 == 0) {
    log_bytes::TextLine line{id, 1, 1, 2, {}};
    line.args.i64(static_cast<int64_t>(id)).str("ok");
    log.add(RecordType::text, log_bytes::text_payload({line}));
  }
  if (id % 25 == 0)
    log.add(RecordType::keyframe, log_bytes::keyframe_payload(id, {{0, {1, 2, 3}}, {1, std::vector<uint8_t>(40, 7)}}));
  if (id % 40 == 0) log.add(RecordType::sync, log_bytes::sync_payload(log.size(), id, static_cast<int64_t>(id)));
}

void add_closing_records(LogBuilder& log, const std::vector<log_bytes::IndexLine>& index, uint64_t cl_count) {
  log.add(RecordType::event, log_bytes::event_payload(copper::log::EventKind::stop, cl_count, 9, "cycles reached"));
  const nlohmann::json summary = {{"cl_count", cl_count}, {"end_reason", "cycles"}};
  const uint64_t summary_offset = log.add(RecordType::summary, log_bytes::text_bytes(summary.dump()));
  const uint64_t index_offset = log.add(RecordType::index, log_bytes::index_payload(index));
  const uint64_t footer_at = log_bytes::next_record_offset(log, 32);
  log.add(RecordType::footer, log_bytes::footer_payload(summary_offset, index_offset, cl_count, footer_at));
  log.clean_close = true;
}

TestLog build_log(const Options& options = {}) {
  LogBuilder log(kSlab);
  TestLog out;
  log.add(RecordType::metadata, log_bytes::text_bytes(metadata_json().dump()));
  log.add(RecordType::string, log_bytes::string_payload(1, 2, 42, "planner.cpp", "step {} is {}"));
  log.add(RecordType::event, log_bytes::event_payload(copper::log::EventKind::start, 0, 5, "started"));
  std::vector<log_bytes::IndexLine> index;
  for (uint64_t first = 1; first <= options.cl_count; first += options.batch) {
    std::vector<log_bytes::ClEntry> batch;
    for (uint64_t id = first; id < first + options.batch && id <= options.cl_count; ++id) batch.push_back(make_cl(id));
    const auto payload = log_bytes::copperlists_payload(batch, 2, 2);
    const uint64_t offset =
        options.compress ? log.add_zstd(RecordType::copperlists, payload) : log.add(RecordType::copperlists, payload);
    if (index.size() * options.index_stride <= (first - 1) / options.batch)
      index.push_back({first, static_cast<uint32_t>(batch.size()), offset});
    for (auto& cl : batch) {
      out.record_of_cl[cl.id] = log.records().size() - 1;
      out.cls[cl.id] = std::move(cl);
    }
    add_side_records(log, first);
  }
  if (options.clean)
    add_closing_records(log, index, options.cl_count);
  else
    log.fill_slab();
  out.bytes = log.image();
  out.records = log.records();
  return out;
}

bool same_cl(const CopperListView& got, const log_bytes::ClEntry& want) {
  if (got.id != want.id || got.time_ns != want.time_ns) return false;
  if (got.tasks.size() != want.tasks.size() || got.slots.size() != want.slots.size()) return false;
  for (size_t i = 0; i < got.tasks.size(); ++i) {
    const auto& g = got.tasks[i];
    const auto& w = want.tasks[i];
    if (g.start_ns != w.start_ns || g.end_ns != w.end_ns || g.status != w.status) return false;
  }
  for (size_t i = 0; i < got.slots.size(); ++i) {
    const auto& g = got.slots[i];
    const auto& w = want.slots[i];
    if (g.time_of_validity_ns != w.time_of_validity_ns) return false;
    if (!std::equal(g.bytes.begin(), g.bytes.end(), w.bytes.begin(), w.bytes.end())) return false;
  }
  return true;
}

// Reads every copperlist, checking each against what was written.
std::vector<uint64_t> read_ids(LogReader& reader, const TestLog& log) {
  std::vector<uint64_t> ids;
  reader.for_each_copperlist([&](const CopperListView& cl) {
    const auto it = log.cls.find(cl.id);
    REQUIRE(it != log.cls.end());
    REQUIRE(same_cl(cl, it->second));
    ids.push_back(cl.id);
    return true;
  });
  return ids;
}

LogReader open_ok(const TempFile& file) {
  auto reader = LogReader::open(file.path());
  INFO(reader.error_message());
  REQUIRE(reader.ok());
  return std::move(reader).value();
}

std::string open_error(std::span<const uint8_t> bytes) {
  TempFile file(bytes);
  auto reader = LogReader::open(file.path());
  REQUIRE_FALSE(reader.ok());
  return std::string(reader.error_message());
}

std::vector<uint64_t> iota_ids(uint64_t first, uint64_t last) {
  std::vector<uint64_t> ids;
  for (uint64_t id = first; id <= last; ++id) ids.push_back(id);
  return ids;
}

bool has_damage_at(const copper::log::CheckReport& report, uint64_t offset) {
  return std::any_of(report.damage.begin(), report.damage.end(), [&](const auto& d) { return d.offset == offset; });
}

}  // namespace

TEST_CASE("log.reader.clean.reads_everything") {
  const TestLog log = build_log();
  TempFile file(log.bytes);
  LogReader reader = open_ok(file);

  CHECK(reader.header().version == 1);
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
    bool same = false;
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
  bool found = false;
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
  log.version = 2;
  log.add(RecordType::metadata, log_bytes::text_bytes("{}"));
  const std::string error = open_error(log.image());
  CHECK(error.find("written by a newer copper: format version 2, this reader knows 1") != std::string::npos);
}

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

TEST_CASE("log.reader.zstd.compressed_batches") {
  const TestLog log = build_log({.cl_count = 95, .batch = 16, .compress = true});
  TempFile file(log.bytes);
  LogReader reader = open_ok(file);
  CHECK(read_ids(reader, log) == iota_ids(1, 95));
  CHECK(reader.check().damage.empty());
  CHECK(reader.check().cl_count == 95);
  for (uint64_t id : {1, 16, 17, 50, 95}) {
    bool same = false;
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
