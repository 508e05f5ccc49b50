#include "corpus.hpp"

#include "log/layout.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <stdexcept>
#include <string_view>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "copper/clock.hpp"
#include "copper/log/writer.hpp"
#include "copper/runtime.hpp"
#include "fixtures/graph_helpers.hpp"
#include "fixtures/test_tasks.hpp"
#include "normalize.hpp"

namespace corpus {
namespace {

// The graph of tests/log_roundtrip_test.cpp, keyframed every 50 copperlists.
std::string corpus_graph() {
  nlohmann::json graph = nlohmann::json::parse(testing_tasks::kTextChainGraph);
  graph["logging"]["keyframe_interval"] = 50;
  return graph.dump();
}

constexpr uint64_t kCleanCls = 200;
constexpr uint64_t kUnclosedCls = 150;
constexpr uint64_t kFailsAt = 120;  // the failed run: chat fails in copperlist 120
constexpr int64_t kClockStart = 1'000'000'000;  // the first copperlist's time
constexpr uint32_t kGarbageSeed = 20240601;

// Moves the ManualClock on after every commit, so copperlist n has time
// kClockStart + n * kCycleNs.
class Ticker final : public copper::CommitSink {
 public:
  explicit Ticker(copper::ManualClock& clock) : clock_(clock) {}
  copper::Status commit(const copper::CopperList&) override {
    clock_.advance(kCycleNs);
    return {};
  }

 private:
  copper::ManualClock& clock_;
};

enum class Ending { close, abandon, failure };

// Records `cycles` copperlists of corpus_graph() through the real writer and returns
// the file as the writer left it.
Bytes record(const std::filesystem::path& path, lg::Compression compression, uint64_t cycles, Ending ending) {
  auto built = testing_tasks::build_graph(corpus_graph());
  require(built.graph.has_value(), "the corpus graph does not build");
  lg::WriterOptions options;
  options.path = path;
  options.overwrite = true;
  options.fsync = lg::FsyncPolicy::none();  // no flusher: no sync records at moments chosen by a thread
  options.compression = compression;
  options.slab_size = kSlab;
  options.batch_bytes = kSlab / 4;
  options.offline = true;  // batches close when full, whatever the machine's speed
  options.host_info = {{"hostname", "corpus"}, {"kernel", "none"}, {"cpus", 1}};
  options.build_info = {{"copper_version", "0.1.0"}, {"compiler", "copper_corpus_gen"}, {"build_type", "release"}};
  auto writer = lg::LogWriter::create(options, *built.graph);
  require(writer.ok(), std::string(writer.error_message()));
  copper::ManualClock clock(kClockStart);
  Ticker ticker(clock);
  copper::CommitFanout sinks;
  sinks.add(writer->get());
  sinks.add(&ticker);
  copper::SerialExecutor executor(*built.graph, clock);
  executor.set_keyframe_interval(built.graph->config().logging.keyframe_interval);
  copper::StopConditions stop;
  stop.cycles = cycles;
  if (ending == Ending::failure) testing_tasks::chatty_fails_at() = kFailsAt;
  const copper::RunReport report = executor.run(stop, &sinks);
  testing_tasks::chatty_fails_at() = UINT64_MAX;
  if (ending == Ending::failure) {
    require(report.failure && report.committed == kFailsAt, "the corpus's failed run did not fail as planned");
    // As copper-record ends a failed run: the error event, then a clean close.
    require((*writer)->write_event(lg::EventKind::error, report.failure->cl_id, report.failure->describe()).ok(),
            "writing the error event");
    const copper::Status closed = (*writer)->close(copper::to_string(report.reason));
    require(closed.ok(), std::string(closed.message()));
  } else if (ending == Ending::close) {
    require(report.ok() && report.committed == cycles, "the corpus run failed");
    const copper::Status closed = (*writer)->close("cycle limit reached");
    require(closed.ok(), std::string(closed.message()));
  } else {
    require(report.ok() && report.committed == cycles, "the corpus run failed");
    (*writer)->abandon();
  }
  writer->reset();
  Bytes bytes = read_file(path);
  std::filesystem::remove(path);
  return bytes;
}

void rewrite_header_checksum(Bytes& bytes) {
  lg::store_le<uint64_t>(bytes.data() + lg::header::kChecksum, lg::header_checksum(bytes.data()));
}

// The copperlists record holding copperlist `id`.
const Rec& record_of(const std::vector<Rec>& records, uint64_t id) {
  for (const Rec& rec : records)
    if (is(rec, lg::RecordType::copperlists) && cl_range(rec).first <= id && id <= cl_range(rec).second) return rec;
  throw std::runtime_error(fmt::format("no copperlists record holds copperlist {}", id));
}

// The copperlist id a copperlists, text or keyframe record is about.
uint64_t id_of(const Rec& rec) {
  if (is(rec, lg::RecordType::text)) return lg::load_le<uint64_t>(rec.payload.data() + 4);
  return lg::load_le<uint64_t>(rec.payload.data());
}

// "copperlists 95-107, text 94-106, keyframe 100-100": the records
// overlapping [begin, end), with where the first starts and the last ends.
std::string records_touching(const std::vector<Rec>& records, uint64_t begin, uint64_t end) {
  std::map<std::string, std::pair<uint64_t, uint64_t>> ids;  // type -> first, last id
  uint64_t from = end, to = begin;
  for (const Rec& rec : records) {
    if (rec.end <= begin || rec.offset >= end) continue;
    from = std::min(from, rec.offset);
    to = std::max(to, rec.end);
    const auto [it, added] =
        ids.try_emplace(lg::to_string(static_cast<lg::RecordType>(rec.type)), id_of(rec), id_of(rec));
    it->second.second = id_of(rec);
  }
  std::string out = fmt::format("records in [{}, {}):", from, to);
  for (const auto& [type, range] : ids) out += fmt::format(" {} {}-{};", type, range.first, range.second);
  return out;
}

Bytes prefix(const Bytes& bytes, uint64_t size) {
  return Bytes(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(size));
}

void add_cut_variants(const Bytes& clean, const std::vector<Rec>& records, std::vector<CorpusFile>& out) {
  const Rec& boundary = record_of(records, 120);  // just after the text record of copperlist 119
  out.push_back({"truncated_record_boundary.copper", prefix(clean, boundary.offset),
                 fmt::format("cut at offset {}, the start of copperlist 120's record", boundary.offset)});
  const Rec& torn = record_of(records, 160);
  const uint64_t cut = torn.offset + lg::kRecordHeaderSize + torn.stored_length / 2;
  out.push_back({"truncated_mid_record.copper", prefix(clean, cut),
                 fmt::format("cut at offset {}, inside copperlist 160's record [{}, {})", cut, torn.offset, torn.end)});
  out.push_back(
      {"header_only.copper", prefix(clean, lg::kFileHeaderSize), "the clean log's 64-byte header (clean_close set)"});
  out.push_back({"empty.copper", Bytes(), "0 bytes"});
}

void add_flipped_variants(const Bytes& clean, const std::vector<Rec>& records, std::vector<CorpusFile>& out) {
  {  // a byte of the last slot's message (to_text's string): only the checksum can tell
    const Rec& rec = record_of(records, 60);
    const uint64_t at = rec.offset + lg::kRecordHeaderSize + rec.stored_length - 2;
    Bytes bytes = clean;
    bytes[at] ^= 0x10;
    out.push_back(
        {"bitflip_payload.copper", std::move(bytes),
         fmt::format("bit 4 of byte {} flipped, in copperlist 60's record [{}, {})", at, rec.offset, rec.end)});
  }
  {  // the second length byte: the record claims 2048 more bytes, so the next one is found by resync
    const Rec& rec = record_of(records, 140);
    const uint64_t at = rec.offset + 9;
    Bytes bytes = clean;
    bytes[at] ^= 0x08;
    out.push_back(
        {"bitflip_record_header.copper", std::move(bytes),
         fmt::format("bit 3 of byte {} flipped: copperlist 140's record [{}, {}) claims {} payload bytes, not {}", at,
                     rec.offset, rec.end, rec.stored_length ^ 0x800u, rec.stored_length)});
  }
  {  // a lost page, as a torn write or a bad sector leaves it
    constexpr uint64_t kPage = 4096, kBegin = 8 * kPage;
    require(clean.size() > kBegin + kPage, "the clean log is too short for a zeroed page");
    Bytes bytes = clean;
    std::fill(bytes.begin() + kBegin, bytes.begin() + kBegin + kPage, uint8_t{0});
    out.push_back({"zeroed_page.copper", std::move(bytes),
                   fmt::format("bytes [{}, {}) zeroed; {}", kBegin, kBegin + kPage,
                               records_touching(records, kBegin, kBegin + kPage))});
  }
}

void add_refused_variants(const Bytes& clean, std::vector<CorpusFile>& out) {
  Bytes magic = clean;
  magic[0] = 'X';
  rewrite_header_checksum(magic);
  out.push_back({"wrong_magic.copper", std::move(magic), "magic \"XOPPERLG\", header checksum recomputed"});
  Bytes future = clean;
  lg::store_le<uint32_t>(future.data() + lg::header::kVersion, 99);
  rewrite_header_checksum(future);
  out.push_back({"future_version.copper", std::move(future), "format version 99, header checksum recomputed"});
  // std::mt19937's output sequence is fixed by the standard, so this is portable.
  std::mt19937 random(kGarbageSeed);
  Bytes garbage(4096);
  for (size_t i = 0; i < garbage.size(); i += 4)
    lg::store_le<uint32_t>(garbage.data() + i, static_cast<uint32_t>(random()));
  require(!std::equal(lg::kFileMagic.begin(), lg::kFileMagic.end(), garbage.begin()), "garbage starts with the magic");
  out.push_back({"garbage.copper", std::move(garbage), fmt::format("4096 bytes of std::mt19937({})", kGarbageSeed)});
}

// The same bytes as if another recording (run id `run_id`) had written
// them: header and every record checksum sealed with that run's seed.
Bytes as_another_recording(const Bytes& log, const std::array<uint8_t, 16>& run_id) {
  Bytes bytes = log;
  std::copy(run_id.begin(), run_id.end(), bytes.begin() + lg::header::kRunId);
  rewrite_header_checksum(bytes);
  const uint64_t seed = lg::record_seed(lg::kFormatVersion, run_id);
  for (const Rec& rec : parse_records(log)) {
    uint8_t* h = bytes.data() + rec.offset;
    lg::RecordHeader::put_checksum(h, lg::record_checksum(seed, h, {h + lg::kRecordHeaderSize, rec.stored_length}));
  }
  return bytes;
}

// What a reused file holds after a power loss, what a bit flip does to the
// metadata, and what a recorder killed before its first record leaves.
void add_format_2_variants(const Bytes& clean, const Bytes& unclosed, std::vector<CorpusFile>& out) {
  {
    uint64_t end = unclosed.size();
    while (end > 0 && unclosed[end - 1] == 0) --end;
    end = lg::align8(end);
    const Bytes foreign = as_another_recording(clean, {0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
    Bytes bytes = unclosed;
    std::copy(foreign.begin() + static_cast<std::ptrdiff_t>(end), foreign.begin() + static_cast<std::ptrdiff_t>(kSlab),
              bytes.begin() + static_cast<std::ptrdiff_t>(end));
    out.push_back(
        {"stale_tail.copper", std::move(bytes),
         fmt::format("unclosed.copper with bytes [{}, {}) of a clean log of another run id in its tail", end, kSlab)});
  }
  {
    const std::vector<Rec> records = parse_records(clean);
    const Rec& metadata = records.front();
    const uint64_t at = metadata.offset + lg::kRecordHeaderSize + 40;
    Bytes bytes = clean;
    bytes[at] ^= 0x04;
    out.push_back({"bitflip_metadata.copper", std::move(bytes),
                   fmt::format("bit 2 of byte {} flipped, in the first metadata record [{}, {})", at, metadata.offset,
                               metadata.end)});
  }
  {
    Bytes bytes(kSlab, 0);
    std::copy_n(unclosed.begin(), lg::kFileHeaderSize, bytes.begin());
    out.push_back({"killed_at_start.copper", std::move(bytes),
                   "unclosed.copper's header, then zeros to the end of the first slab"});
  }
}

}  // namespace

std::vector<CorpusFile> make_corpus(const std::filesystem::path& scratch) {
  std::vector<CorpusFile> files;
  const Bytes clean = normalize(record(scratch, lg::Compression::none(), kCleanCls, Ending::close), false);
  files.push_back({"clean.copper", clean, fmt::format("{} copperlists, closed", kCleanCls)});
  files.push_back({"clean_zstd.copper",
                   normalize(record(scratch, lg::Compression::zstd(kZstdLevel), kCleanCls, Ending::close), true),
                   fmt::format("{} copperlists, zstd, closed", kCleanCls)});
  const Bytes unclosed = normalize(record(scratch, lg::Compression::none(), kUnclosedCls, Ending::abandon), false);
  files.push_back({"unclosed.copper", unclosed, fmt::format("{} copperlists, abandoned", kUnclosedCls)});
  files.push_back({"failed.copper",
                   normalize(record(scratch, lg::Compression::none(), kCleanCls, Ending::failure), false),
                   fmt::format("task failed at copperlist {}, closed", kFailsAt)});
  const std::vector<Rec> records = parse_records(clean);
  add_cut_variants(clean, records, files);
  add_flipped_variants(clean, records, files);
  add_refused_variants(clean, files);
  add_format_2_variants(clean, unclosed, files);
  return files;
}

}  // namespace corpus
