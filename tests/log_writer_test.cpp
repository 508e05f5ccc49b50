// LogWriter: the bytes it writes, checked against docs/log-format.md by a
// small record walker of the test's own (not the library's reader).
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zstd.h>

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "copper/log/file.hpp"
#include "copper/log/format.hpp"
#include "copper/log/writer.hpp"
#include "copper/runtime.hpp"
#include "fixtures/graph_helpers.hpp"
#include "fixtures/test_tasks.hpp"

namespace lg = copper::log;
using lg::RecordType;

namespace {

class ScratchDir {
 public:
  ScratchDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("copper_log_writer_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  std::filesystem::path operator/(const char* name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

std::vector<uint8_t> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

template <class T>
T at(std::span<const uint8_t> bytes, size_t offset) {
  REQUIRE(offset + sizeof(T) <= bytes.size());
  return lg::load_le<T>(bytes.data() + offset);
}

struct Record {
  uint64_t offset = 0;
  RecordType type{};
  uint16_t flags = 0;
  std::vector<uint8_t> payload;  // decompressed when flagged zstd
};

struct Walk {
  std::vector<Record> records;
  std::string damage;  // empty: every record verified and the tail is zeros
  uint64_t end = 0;    // just past the last record

  std::vector<const Record*> of(RecordType type) const {
    std::vector<const Record*> out;
    for (const Record& r : records)
      if (r.type == type) out.push_back(&r);
    return out;
  }
};

bool zeros(std::span<const uint8_t> bytes) {
  for (uint8_t b : bytes)
    if (b != 0) return false;
  return true;
}

std::vector<uint8_t> unzstd(std::span<const uint8_t> frame) {
  const unsigned long long size = ZSTD_getFrameContentSize(frame.data(), frame.size());
  REQUIRE(size != ZSTD_CONTENTSIZE_ERROR);
  REQUIRE(size != ZSTD_CONTENTSIZE_UNKNOWN);
  std::vector<uint8_t> out(size);
  const size_t n = ZSTD_decompress(out.data(), out.size(), frame.data(), frame.size());
  REQUIRE_FALSE(ZSTD_isError(n));
  REQUIRE(n == size);
  return out;
}

// Walks the records from offset 64 checking every rule of the format that
// a writer must keep: sync word, alignment, checksum, no slab crossing.
Walk walk(std::span<const uint8_t> file, uint64_t slab) {
  Walk w;
  uint64_t pos = lg::kFileHeaderSize;
  while (pos < file.size()) {
    const uint64_t slab_end = (pos / slab + 1) * slab;
    if (slab_end - pos < lg::kRecordHeaderSize) {
      if (!zeros(file.subspan(pos, std::min<uint64_t>(slab_end, file.size()) - pos))) w.damage = "slab tail not zero";
      pos = slab_end;
      continue;
    }
    if (pos + lg::kRecordHeaderSize > file.size()) break;
    const uint8_t* h = file.data() + pos;
    if (lg::load_le<uint32_t>(h) != lg::kRecordSync) {
      if (!zeros(file.subspan(pos))) w.damage = "bad sync word at " + std::to_string(pos);
      break;
    }
    const uint32_t length = lg::load_le<uint32_t>(h + 8);
    const uint64_t footprint = lg::record_footprint(length);
    if (pos % 8 != 0 || pos + footprint > slab_end || pos + footprint > file.size()) {
      w.damage = "record at " + std::to_string(pos) + " misaligned or crossing a slab";
      break;
    }
    std::span<const uint8_t> stored = file.subspan(pos + lg::kRecordHeaderSize, length);
    if (lg::record_checksum(h, stored) != lg::load_le<uint64_t>(h + 16) || lg::load_le<uint32_t>(h + 12) != 0 ||
        !zeros(file.subspan(pos + lg::kRecordHeaderSize + length, footprint - lg::kRecordHeaderSize - length))) {
      w.damage = "checksum, reserved or padding wrong at " + std::to_string(pos);
      break;
    }
    Record r{pos, static_cast<RecordType>(lg::load_le<uint16_t>(h + 4)), lg::load_le<uint16_t>(h + 6), {}};
    if (r.flags & lg::kRecordFlagZstd) r.payload = unzstd(stored);
    else r.payload.assign(stored.begin(), stored.end());
    w.records.push_back(std::move(r));
    pos += footprint;
    w.end = pos;
  }
  return w;
}

struct ClEntry {
  uint64_t id = 0;
  int64_t time = 0;
  std::vector<std::vector<uint8_t>> messages;
};

// Every copperlist entry of every copperlists record, in file order.
std::vector<ClEntry> copperlists(const Walk& w, uint32_t tasks, uint32_t slots) {
  std::vector<ClEntry> out;
  for (const Record* r : w.of(RecordType::copperlists)) {
    std::span<const uint8_t> p = r->payload;
    const uint64_t first = at<uint64_t>(p, 0);
    const uint32_t count = at<uint32_t>(p, 8);
    REQUIRE(at<uint32_t>(p, 12) == slots);
    REQUIRE(at<uint32_t>(p, 16) == tasks);
    size_t pos = 24;
    for (uint32_t i = 0; i < count; ++i) {
      const uint32_t entry_length = at<uint32_t>(p, pos);
      const size_t next = pos + 4 + entry_length;
      ClEntry e{at<uint64_t>(p, pos + 4), at<int64_t>(p, pos + 12), {}};
      REQUIRE(e.id == first + i);
      size_t q = pos + 20 + tasks * 17;
      for (uint32_t s = 0; s < slots; ++s) {
        const uint32_t len = at<uint32_t>(p, q + 8);
        e.messages.emplace_back(p.begin() + static_cast<ptrdiff_t>(q + 12),
                                p.begin() + static_cast<ptrdiff_t>(q + 12 + len));
        q += 12 + len;
      }
      REQUIRE(q == next);
      out.push_back(std::move(e));
      pos = next;
    }
    REQUIRE(pos == p.size());
  }
  return out;
}

void check_consecutive(const std::vector<ClEntry>& cls, uint64_t count) {
  REQUIRE(cls.size() == count);
  for (uint64_t i = 0; i < count; ++i) REQUIRE(cls[i].id == i);
}

copper::Graph require_graph(std::string_view json) {
  auto built = testing_tasks::build_graph(json);
  INFO(built.diags.to_string());
  REQUIRE(built.graph);
  return std::move(*built.graph);
}

constexpr std::string_view kSumGraph = R"({"tasks": [
    {"id": "a", "type": "test/counter", "params": {"step": 1}},
    {"id": "b", "type": "test/counter", "params": {"step": 10}},
    {"id": "sum", "type": "test/add"},
    {"id": "out", "type": "test/collect"}],
  "connections": [{"from": "a", "to": "sum", "input": "a"}, {"from": "b", "to": "sum", "input": "b"},
                  {"from": "sum", "to": "out"}],
  "logging": {"fsync": "none"}})";

lg::WriterOptions small_options(const std::filesystem::path& path) {
  lg::WriterOptions options;
  options.path = path;
  options.slab_size = lg::kMinSlabSize;
  options.fsync = lg::FsyncPolicy::none();
  options.batch_bytes = 8u << 10;
  options.batch_cls = 16;
  return options;
}

std::unique_ptr<lg::LogWriter> require_writer(const lg::WriterOptions& options, const copper::Graph& graph) {
  auto writer = lg::LogWriter::create(options, graph);
  INFO(writer.error_message());
  REQUIRE(writer.ok());
  return std::move(writer).value();
}

copper::RunReport run(copper::Graph& graph, copper::CommitSink& sink, uint64_t cycles, uint64_t keyframe_every = 0) {
  copper::ManualClock clock(1000);
  copper::StopConditions stop;
  stop.cycles = cycles;
  copper::SerialExecutor executor(graph, clock);
  executor.set_keyframe_interval(keyframe_every);
  return executor.run(stop, &sink);
}

nlohmann::json json_of(const Record& r) { return nlohmann::json::parse(r.payload.begin(), r.payload.end()); }

// The sum graph's slot 2 ("sum") carries 11 * id, encoded as an i64.
void check_sum_values(const std::vector<ClEntry>& cls) {
  for (const ClEntry& e : cls) {
    REQUIRE(e.messages.size() == 3);
    REQUIRE(e.messages[2].size() == 8);
    REQUIRE(lg::load_le<int64_t>(e.messages[2].data()) == static_cast<int64_t>(11 * e.id));
  }
}

}  // namespace

TEST_CASE("log.writer.header_and_metadata_follow_the_spec") {
  ScratchDir dir;
  auto graph = require_graph(kSumGraph);
  auto writer = require_writer(small_options(dir / "run.copper"), graph);
  REQUIRE(writer->close("done").ok());
  const auto file = read_file(dir / "run.copper");
  REQUIRE(file.size() > 64);
  CHECK(std::equal(lg::kFileMagic.begin(), lg::kFileMagic.end(), file.begin()));
  CHECK(at<uint32_t>(file, 8) == 1);
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
  CHECK(meta["format_version"] == 1);
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

  CHECK(w.records[1].type == RecordType::event);
  CHECK(at<uint16_t>(w.records[1].payload, 0) == static_cast<uint16_t>(lg::EventKind::start));
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
    const auto record = std::find_if(w.records.begin(), w.records.end(), [&](const Record& r) { return r.offset == offset; });
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

namespace {

lg::LogFileFactory faulty(lg::FaultyLogFile::Op op, uint64_t nth, int err) {
  return [=](const std::filesystem::path& path, lg::OpenMode mode) -> copper::Result<std::unique_ptr<lg::LogFile>> {
    auto real = lg::open_log_file(path, mode);
    if (!real.ok()) return real.status();
    auto file = std::make_unique<lg::FaultyLogFile>(std::move(real).value());
    file->fail(op, nth, err);
    return std::unique_ptr<lg::LogFile>(std::move(file));
  };
}

bool has_event(const Walk& w, lg::EventKind kind, std::string_view text) {
  for (const Record* r : w.of(RecordType::event))
    if (at<uint16_t>(r->payload, 0) == static_cast<uint16_t>(kind) &&
        contains(std::string(r->payload.begin() + 24, r->payload.end()), text))
      return true;
  return false;
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

TEST_CASE("log.writer.text_entries_and_strings_keep_the_spec_layout") {
  ScratchDir dir;
  auto graph = require_graph(kSumGraph);
  auto writer = require_writer(small_options(dir / "run.copper"), graph);
  const lg::TextString format{7, 2, 42, "rover.cpp", "x={}"};
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
  // Other tests of the process may have filled the global string table,
  // whose entries the writer also logs: look for ours.
  auto strings = w.of(RecordType::string);
  std::erase_if(strings, [](const Record* r) { return at<uint32_t>(r->payload, 0) != 7 || r->payload[4] != 2; });
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
