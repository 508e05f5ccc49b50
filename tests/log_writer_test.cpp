// LogWriter: the bytes of logs written whole, checked against docs/log-format.md.
#include <doctest/doctest.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "copper/log/file.hpp"
#include "log/faulty_file.hpp"
#include "copper/log/format.hpp"
#include "log/layout.hpp"
#include "copper/log/writer.hpp"
#include "copper/runtime.hpp"
#include "fixtures/log_writer_helpers.hpp"
#include "fixtures/test_tasks.hpp"

namespace {

using namespace writer_test;  // the record walker and the sum graph

nlohmann::json json_of(const Record& r) { return nlohmann::json::parse(r.payload.begin(), r.payload.end()); }

}  // namespace

TEST_CASE("log.writer.header_and_metadata_follow_the_spec") {
  ScratchDir dir;
  auto graph = require_graph(kSumGraph);
  auto writer = require_writer(small_options(dir / "run.copper"), graph);
  REQUIRE(writer->close("done").ok());
  const auto file = read_file(dir / "run.copper");
  REQUIRE(file.size() > 64);
  CHECK(std::equal(lg::kFileMagic.begin(), lg::kFileMagic.end(), file.begin()));
  CHECK(at<uint32_t>(file, 8) == lg::kFormatVersion);
  CHECK(at<uint32_t>(file, 12) == 64);
  CHECK(at<uint64_t>(file, 16) == lg::kFlagCleanClose);
  CHECK(at<uint64_t>(file, 48) == lg::kMinSlabSize);
  CHECK(at<uint64_t>(file, 56) == lg::header_checksum(file.data()));

  const Walk w = walk(file, lg::kMinSlabSize);
  CHECK(w.damage == "");
  REQUIRE(w.records.size() >= 5);
  CHECK(w.records[0].offset == 64);
  REQUIRE(w.records[0].type == RecordType::metadata);
  const auto meta = json_of(w.records[0]);
  CHECK(meta["format_version"] == lg::kFormatVersion);
  CHECK(meta["slab_size"] == lg::kMinSlabSize);
  std::string run_id;
  for (size_t i = 24; i < 40; ++i) run_id += fmt::format("{:02x}", file[i]);
  CHECK(meta["run_id"] == run_id);
  CHECK(meta["created_unix_ns"] == at<int64_t>(file, 40));
  CHECK(meta["config"] == graph.config().document);
  CHECK(meta["logging"]["fsync"] == "none");
  CHECK(meta["logging"]["compress"] == "none");
  CHECK(meta["host"].contains("hostname"));
  CHECK(meta["build"].contains("copper_version"));
  REQUIRE(meta["tasks"].size() == 4);
  CHECK(meta["tasks"][2]["id"] == "sum");
  CHECK(meta["tasks"][2]["inputs"][1]["name"] == "b");
  CHECK(meta["tasks"][3]["output_slot"].is_null());
  CHECK(meta["tasks"][0]["kind"] == "source");
  REQUIRE(meta["slots"].size() == 3);
  CHECK(meta["slots"][2]["producer"] == "sum");
  CHECK(meta["slots"][2]["schema"] == graph.slots()[2].type->schema);
  CHECK(meta["slots"][2]["schema_hash"] == fmt::format("{:016x}", graph.slots()[2].type->schema_hash));

  // The metadata twice (docs/log-format.md, "File layout"), then the start event.
  CHECK(w.records[1].type == RecordType::metadata);
  CHECK(w.records[1].payload == w.records[0].payload);
  CHECK(w.records[2].type == RecordType::event);
  CHECK(at<uint16_t>(w.records[2].payload, 0) == static_cast<uint16_t>(lg::EventKind::start));
  const auto& footer = w.records.back();
  REQUIRE(footer.type == RecordType::footer);
  CHECK(w.end == file.size());  // trimmed right after the footer
  CHECK(at<uint64_t>(footer.payload, 24) == footer.offset);
  CHECK(at<uint64_t>(footer.payload, 16) == 0);
  const auto stop = w.of(RecordType::event).back();
  CHECK(at<uint16_t>(stop->payload, 0) == static_cast<uint16_t>(lg::EventKind::stop));
  CHECK(std::string(stop->payload.begin() + 24, stop->payload.end()) == "done");
}

TEST_CASE("log.writer.clean_close_sets_flag_and_trims") {
  ScratchDir dir;
  auto graph = require_graph(kSumGraph);
  auto writer = require_writer(small_options(dir / "run.copper"), graph);
  const auto report = run(graph, *writer, 3000);
  REQUIRE(report.ok());
  CHECK(writer->committed_cls() == 3000);
  REQUIRE(writer->close("cycle limit").ok());
  CHECK(writer->close("again").ok());  // idempotent
  CHECK(writer->durable_cls() == 3000);

  const auto file = read_file(dir / "run.copper");
  CHECK(file.size() > 4 * lg::kMinSlabSize);  // spans several slabs
  CHECK((at<uint64_t>(file, 16) & lg::kFlagCleanClose) != 0);
  const Walk w = walk(file, lg::kMinSlabSize);
  CHECK(w.damage == "");
  CHECK(w.end == file.size());
  CHECK(!w.of(RecordType::padding).empty());
  const auto cls = copperlists(w, 4, 3);
  check_consecutive(cls, 3000);
  check_sum_values(cls);
  CHECK(cls[7].time == 1000);  // the manual clock's value

  const auto footer = w.records.back();
  REQUIRE(footer.type == RecordType::footer);
  CHECK(at<uint64_t>(footer.payload, 16) == 3000);
  const auto summary_offset = at<uint64_t>(footer.payload, 0);
  const auto index_offset = at<uint64_t>(footer.payload, 8);
  const Record* summary = w.of(RecordType::summary).at(0);
  const Record* index = w.of(RecordType::index).at(0);
  CHECK(summary->offset == summary_offset);
  CHECK(index->offset == index_offset);
  const auto s = json_of(*summary);
  CHECK(s["cl_count"] == 3000);
  CHECK(s["first_cl_id"] == 0);
  CHECK(s["last_cl_id"] == 2999);
  CHECK(s["records"]["copperlists"] == 3000);
  CHECK(s["end_reason"] == "cycle limit");

  // The index points at copperlists records, in order, perhaps thinned.
  const uint32_t entries = at<uint32_t>(index->payload, 0);
  REQUIRE(entries > 0);
  REQUIRE(index->payload.size() == 8 + entries * 24);
  // 3000 records do not fit in half a 64 KiB slab (1365 entries): thinned
  // to every 4th record.
  CHECK(entries == 750);
  uint64_t previous = 0;
  for (uint32_t i = 0; i < entries; ++i) {
    const size_t e = 8 + i * 24;
    const uint64_t first = at<uint64_t>(index->payload, e);
    const uint64_t offset = at<uint64_t>(index->payload, e + 16);
    CHECK((i == 0 || first > previous));
    previous = first;
    const auto record =
        std::find_if(w.records.begin(), w.records.end(), [&](const Record& r) { return r.offset == offset; });
    REQUIRE(record != w.records.end());
    CHECK(record->type == RecordType::copperlists);
    CHECK(at<uint64_t>(record->payload, 0) == first);
  }
}

TEST_CASE("log.writer.refuses_to_overwrite_unless_asked") {
  ScratchDir dir;
  auto graph = require_graph(kSumGraph);
  std::ofstream(dir / "run.copper") << "keep me";
  auto refused = lg::LogWriter::create(small_options(dir / "run.copper"), graph);
  REQUIRE_FALSE(refused.ok());
  CHECK(contains(refused.error_message(), "exists; use --force"));
  CHECK(read_file(dir / "run.copper").size() == 7);
  auto options = small_options(dir / "run.copper");
  options.overwrite = true;
  auto writer = require_writer(options, graph);
  CHECK(writer->close("done").ok());
}

TEST_CASE("log.writer.rejects_bad_options") {
  ScratchDir dir;
  auto graph = require_graph(kSumGraph);
  auto options = small_options(dir / "run.copper");
  options.slab_size = 100000;
  CHECK(contains(lg::LogWriter::create(options, graph).error_message(), "power of two"));
  options.slab_size = lg::kMinSlabSize;
  options.compression = lg::Compression::zstd();
  options.batch_bytes = 1u << 20;
  CHECK(contains(lg::LogWriter::create(options, graph).error_message(), "quarter of the slab"));
  CHECK_FALSE(std::filesystem::exists(dir / "run.copper"));
}

TEST_CASE("log.writer.zstd_batches_round_trip") {
  ScratchDir dir;
  auto graph = require_graph(kSumGraph);
  auto options = small_options(dir / "run.copper");
  options.compression = lg::Compression::zstd(5);
  options.offline = true;  // every batch compressed, however fast the commits come
  auto writer = require_writer(options, graph);
  REQUIRE(run(graph, *writer, 2000).ok());
  REQUIRE(writer->close("done").ok());
  const auto stats = writer->stats();
  CHECK(stats.cls == 2000);
  CHECK(stats.stored_cl_bytes < stats.raw_cl_bytes / 2);

  const auto file = read_file(dir / "run.copper");
  const Walk w = walk(file, lg::kMinSlabSize);
  CHECK(w.damage == "");
  const auto records = w.of(RecordType::copperlists);
  CHECK(records.size() == 125);  // batches of 16
  for (const Record* r : records) CHECK(r->flags == lg::kRecordFlagZstd);
  const auto cls = copperlists(w, 4, 3);
  check_consecutive(cls, 2000);
  check_sum_values(cls);
  CHECK(json_of(w.records[0])["logging"]["compress"] == "zstd:5");
}

TEST_CASE("log.writer.keyframes_precede_their_copperlists") {
  ScratchDir dir;
  auto graph = require_graph(R"({"tasks": [
      {"id": "src", "type": "test/counter", "params": {"step": 1}},
      {"id": "acc", "type": "test/accumulate"},
      {"id": "out", "type": "test/collect"}],
    "connections": [{"from": "src", "to": "acc"}, {"from": "acc", "to": "out"}]})");
  auto writer = require_writer(small_options(dir / "run.copper"), graph);
  REQUIRE(run(graph, *writer, 50, 10).ok());
  REQUIRE(writer->close("done").ok());
  CHECK(writer->stats().keyframes == 5);
  const Walk w = walk(read_file(dir / "run.copper"), lg::kMinSlabSize);
  CHECK(w.damage == "");
  const auto keyframes = w.of(RecordType::keyframe);
  REQUIRE(keyframes.size() == 5);
  for (size_t k = 0; k < keyframes.size(); ++k) {
    std::span<const uint8_t> p = keyframes[k]->payload;
    const uint64_t id = at<uint64_t>(p, 0);
    CHECK(id == 10 * k);
    REQUIRE(at<uint32_t>(p, 8) == 1);
    CHECK(at<uint32_t>(p, 12) == 1);  // the accumulator's task index
    REQUIRE(at<uint32_t>(p, 16) == 8);
    const auto sum_before = static_cast<int64_t>(id * (id - (id > 0 ? 1 : 0)) / 2);
    CHECK(at<int64_t>(p, 20) == sum_before);  // 0 + 1 + ... + (id - 1)
    // The copperlists record right after the keyframe is copperlist `id`.
    const auto next = std::find_if(w.records.begin(), w.records.end(),
                                   [&](const Record& r) { return r.offset > keyframes[k]->offset; });
    REQUIRE(next != w.records.end());
    CHECK(next->type == RecordType::copperlists);
    CHECK(at<uint64_t>(next->payload, 0) == id);
  }
}

namespace {

// Every 100 commits, waits (a bounded time) for the flusher to nearly catch
// up, so that sync records land between copperlists however slow the disk.
class PacedSink final : public copper::CommitSink {
 public:
  explicit PacedSink(lg::LogWriter& writer) : writer_(writer) {}
  copper::Status commit(const copper::CopperList& cl) override {
    copper::Status status = writer_.commit(cl);
    if (status.ok() && cl.id % 100 == 99) {
      // bytes:4KiB may leave up to 4 KiB (about 20 copperlists) unsynced.
      const uint64_t target = cl.id + 1 - 25;
      for (int i = 0; i < 2000 && writer_.durable_cls() < target; ++i) ::usleep(500);
      caught_up = caught_up && writer_.durable_cls() >= target;
    }
    return status;
  }
  bool caught_up = true;

 private:
  lg::LogWriter& writer_;
};

}  // namespace

TEST_CASE("log.writer.sync_records_follow_the_policy") {
  for (const char* policy : {"commit", "bytes:4KiB", "interval:1"}) {
    CAPTURE(policy);
    ScratchDir dir;
    auto graph = require_graph(kSumGraph);
    auto options = small_options(dir / "run.copper");
    options.fsync = *lg::FsyncPolicy::parse(policy);
    auto writer = require_writer(options, graph);
    PacedSink paced(*writer);
    REQUIRE(run(graph, paced, 300).ok());
    CHECK(paced.caught_up);
    REQUIRE(writer->close("done").ok());
    CHECK(writer->stats().syncs >= 2);
    CHECK(writer->durable_cls() == 300);
    const Walk w = walk(read_file(dir / "run.copper"), lg::kMinSlabSize);
    CHECK(w.damage == "");
    const auto syncs = w.of(RecordType::sync);
    REQUIRE(!syncs.empty());
    CHECK(syncs.size() >= 3);
    for (const Record* s : syncs) {
      const uint64_t durable_offset = at<uint64_t>(s->payload, 0);
      const uint64_t durable_cls = at<uint64_t>(s->payload, 8);
      CHECK(durable_offset <= s->offset);
      uint64_t cls_before = 0;
      for (const Record& r : w.records)
        if (r.type == RecordType::copperlists && r.offset < durable_offset) ++cls_before;
      CHECK(durable_cls <= cls_before);
    }
    CHECK(at<uint64_t>(syncs.back()->payload, 8) == 300);
  }
}

// Policy none leaves durability to the OS but starts writing each slab back
// as the writer leaves it; that is a hint, and its failure does not fail the
// log (the final fdatasync is what reports a write error).
TEST_CASE("log.writer.policy_none_starts_writeback_of_each_slab_it_leaves") {
  ScratchDir dir;
  auto graph = require_graph(kSumGraph);
  auto options = small_options(dir / "run.copper");
  lg::FaultyLogFile* file = nullptr;
  options.open_file = [&file](const std::filesystem::path& path,
                              lg::OpenMode mode) -> copper::Result<std::unique_ptr<lg::LogFile>> {
    auto real = lg::open_log_file(path, mode);
    if (!real.ok()) return real.status();
    auto faulty_file = std::make_unique<lg::FaultyLogFile>(std::move(real).value());
    faulty_file->fail(lg::FaultyLogFile::Op::start_writeback, 1, EIO);
    file = faulty_file.get();
    return std::unique_ptr<lg::LogFile>(std::move(faulty_file));
  };
  auto writer = require_writer(options, graph);
  REQUIRE(run(graph, *writer, 50000).ok());
  REQUIRE(writer->close("done").ok());
  const uint64_t slabs = std::filesystem::file_size(dir / "run.copper") / lg::kMinSlabSize;
  REQUIRE(slabs > 20);
  // The slab thread retires a slab at the latest when the ring needs its place.
  CHECK(file->calls(lg::FaultyLogFile::Op::start_writeback) + 8 >= slabs);
  const Walk w = walk(read_file(dir / "run.copper"), lg::kMinSlabSize);
  CHECK(w.damage == "");
  check_consecutive(copperlists(w, 4, 3), 50000);
}

TEST_CASE("log.writer.text_entries_and_strings_keep_the_spec_layout") {
  ScratchDir dir;
  auto graph = require_graph(kSumGraph);
  auto writer = require_writer(small_options(dir / "run.copper"), graph);
  const lg::TextString format{7, lg::TextLevel::info, 42, "rover.cpp", "x={}"};
  REQUIRE(writer->write_strings({&format, 1}).ok());
  copper::CopperList cl(graph);
  std::vector<uint8_t> expected;
  for (uint64_t id = 0; id < 3; ++id) {
    cl.recycle(id, 500 + static_cast<int64_t>(id));
    uint8_t* e = cl.text_log(1).reserve(29);
    REQUIRE(e != nullptr);
    lg::store_le<uint64_t>(e, id);
    lg::store_le<uint32_t>(e + 8, 1);
    lg::store_le<uint32_t>(e + 12, 7);
    e[16] = 2;
    e[17] = 1;
    lg::store_le<uint16_t>(e + 18, 9);
    e[20] = static_cast<uint8_t>(lg::ArgTag::i64);
    lg::store_le<int64_t>(e + 21, -5 * static_cast<int64_t>(id));
    if (id == 2) expected.assign(e, e + 29);
    CHECK(cl.text_log(2).reserve(1u << 20) == nullptr);  // dropped
    REQUIRE(writer->commit(cl).ok());
  }
  REQUIRE(writer->close("done").ok());
  CHECK(writer->stats().text_entries == 3);
  CHECK(writer->stats().text_dropped == 3);
  const Walk w = walk(read_file(dir / "run.copper"), lg::kMinSlabSize);
  CHECK(w.damage == "");
  // Only the string its entries name, although other tests of the process
  // have filled the process's string table (regression: every writer wrote
  // the whole table).
  const auto strings = w.of(RecordType::string);
  REQUIRE(strings.size() == 1);
  std::span<const uint8_t> s = strings[0]->payload;
  CHECK(at<uint32_t>(s, 0) == 7);
  CHECK(s[4] == 2);
  CHECK(at<uint32_t>(s, 5) == 42);
  CHECK(at<uint16_t>(s, 9) == 9);
  CHECK(std::string(s.begin() + 11, s.begin() + 20) == "rover.cpp");
  CHECK(at<uint32_t>(s, 20) == 4);
  CHECK(std::string(s.begin() + 24, s.end()) == "x={}");
  const auto texts = w.of(RecordType::text);
  REQUIRE(texts.size() == 3);
  CHECK(strings[0]->offset < texts[0]->offset);
  CHECK(at<uint32_t>(texts[2]->payload, 0) == 1);
  CHECK(std::vector<uint8_t>(texts[2]->payload.begin() + 4, texts[2]->payload.end()) == expected);
  const auto cls = copperlists(w, 4, 3);
  check_consecutive(cls, 3);
  CHECK(cls[2].time == 502);
}

TEST_CASE("log.writer.record_larger_than_a_slab_is_refused") {
  ScratchDir dir;
  auto graph = require_graph(R"({"tasks": [
      {"id": "src", "type": "test/counter", "params": {"step": 1}},
      {"id": "txt", "type": "test/to_text"},
      {"id": "out", "type": "test/drop_text"}],
    "connections": [{"from": "src", "to": "txt"}, {"from": "txt", "to": "out"}]})");
  auto writer = require_writer(small_options(dir / "run.copper"), graph);
  copper::CopperList cl(graph);
  cl.recycle(0, 0);
  static_cast<testing_tasks::Text*>(cl.message(1))->text.assign(100000, 'x');
  const copper::Status status = writer->commit(cl);
  CHECK(contains(status.message(), "does not fit in a slab of 65536 bytes"));
  // Issue 19, item 14: the message names the options that set the slab size.
  CHECK(contains(status.message(), "logging.slab_size"));
  CHECK(contains(status.message(), "--slab-size"));
  static_cast<testing_tasks::Text*>(cl.message(1))->text = "short";
  CHECK(writer->commit(cl).ok());
  CHECK(writer->close("done").ok());
  const Walk w = walk(read_file(dir / "run.copper"), lg::kMinSlabSize);
  CHECK(w.damage == "");
  check_consecutive(copperlists(w, 3, 2), 1);
}

TEST_CASE("log.writer.rare_syncs_do_not_stall_slab_growth") {
  // With a sync due only once a minute, unsynced slabs fill the ring of
  // mappings; the slab thread must then ask the flusher for an early sync.
  ScratchDir dir;
  auto graph = require_graph(kSumGraph);
  auto options = small_options(dir / "run.copper");
  options.fsync = lg::FsyncPolicy::every_ms(60000);
  auto writer = require_writer(options, graph);
  REQUIRE(run(graph, *writer, 20000).ok());
  REQUIRE(writer->close("done").ok());
  CHECK(writer->stats().syncs >= 2);
  const Walk w = walk(read_file(dir / "run.copper"), lg::kMinSlabSize);
  CHECK(w.damage == "");
  check_consecutive(copperlists(w, 4, 3), 20000);
}
