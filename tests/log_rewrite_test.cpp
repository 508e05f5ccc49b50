// The writer's recorded-data path (LogWriter::create_from_metadata and
// commit_recorded...): what copper-log recover writes through.
#include <doctest/doctest.h>

#include <filesystem>
#include <vector>

#include "copper/log/reader.hpp"
#include "copper/log/writer.hpp"
#include "fixtures/scratch_dir.hpp"

using copper::log::LogReader;
using copper::log::LogWriter;

namespace {

std::string corpus_file(const char* name) { return std::string(COPPER_CORPUS_DIR) + "/" + name; }

struct Copied {
  std::vector<uint64_t> ids;
  std::vector<std::vector<uint8_t>> last_slot;  // each copperlist's last slot bytes
  uint64_t text = 0;
  std::vector<uint64_t> keyframes;
};

Copied read_all(LogReader& reader) {
  Copied c;
  reader.for_each_copperlist([&](const copper::log::CopperListView& cl) {
    c.ids.push_back(cl.id);
    c.last_slot.emplace_back(cl.slots.back().bytes.begin(), cl.slots.back().bytes.end());
    return true;
  });
  reader.for_each_text([&](const copper::log::TextEntry&) { return ++c.text, true; });
  reader.for_each_keyframe([&](const copper::log::Keyframe& k) { return c.keyframes.push_back(k.cl_id), true; });
  return c;
}

copper::log::WriterOptions options_for(const std::filesystem::path& path, bool zstd) {
  copper::log::WriterOptions options;
  options.path = path;
  options.overwrite = true;
  options.fsync = copper::log::FsyncPolicy::none();
  options.compression = zstd ? copper::log::Compression::zstd() : copper::log::Compression::none();
  options.slab_size = 64u << 10;
  options.batch_bytes = 16u << 10;
  return options;
}

// Copies everything through the recorded path, in the order the writer wants.
void copy(LogReader& from, LogWriter& to) {
  std::vector<copper::log::TextString> strings;
  const auto report = from.check();
  for (const auto& s : report.strings) strings.push_back(s.view());
  REQUIRE(to.write_strings(strings).ok());
  from.for_each_keyframe([&](const copper::log::Keyframe& k) { return to.write_recorded_keyframe(k).ok(); });
  from.for_each_copperlist([&](const copper::log::CopperListView& cl) { return to.commit_recorded(cl).ok(); });
  std::vector<copper::log::TextEntry> entries;
  std::vector<std::vector<uint8_t>> args;
  from.for_each_text([&](const copper::log::TextEntry& e) {
    args.emplace_back(e.args.begin(), e.args.end());
    entries.push_back(e);
    return true;
  });
  for (size_t i = 0; i < entries.size(); ++i) entries[i].args = args[i];
  REQUIRE(to.write_recorded_text(entries).ok());
}

}  // namespace

TEST_CASE("log.rewrite.recorded_data_round_trips") {
  for (bool zstd : {false, true}) {
    CAPTURE(zstd);
    auto source = LogReader::open(corpus_file("clean.copper"));
    REQUIRE(source.ok());
    const copper_test::ScratchDir dir("log_rewrite");
    const auto path = dir / "copy.copper";
    auto writer = LogWriter::create_from_metadata(options_for(path, zstd), source->metadata());
    REQUIRE(writer.ok());
    copy(*source, **writer);
    REQUIRE((*writer)->close("copied").ok());

    auto copy_reader = LogReader::open(path);
    REQUIRE(copy_reader.ok());
    CHECK(copy_reader->check().clean());
    CHECK(copy_reader->has_footer());
    CHECK(copy_reader->metadata()["tasks"] == source->metadata()["tasks"]);
    CHECK(copy_reader->metadata()["slots"] == source->metadata()["slots"]);
    CHECK(copy_reader->metadata()["host"] == source->metadata()["host"]);  // where it was recorded
    CHECK(copy_reader->metadata()["logging"]["compress"] == (zstd ? "zstd:3" : "none"));
    CHECK(copy_reader->header().run_id_hex != source->header().run_id_hex);
    const Copied a = read_all(*source), b = read_all(*copy_reader);
    CHECK(b.ids == a.ids);
    CHECK(b.last_slot == a.last_slot);
    CHECK(b.text == 200);
    CHECK(b.keyframes == std::vector<uint64_t>{0, 50, 100, 150});
    CHECK(copy_reader->summary()["cl_count"] == 200);
  }
}

TEST_CASE("log.rewrite.refuses_backwards_ids_and_wrong_shapes") {
  auto source = LogReader::open(corpus_file("clean.copper"));
  REQUIRE(source.ok());
  const copper_test::ScratchDir dir("log_rewrite_bad");
  const auto path = dir / "copy.copper";
  auto writer = LogWriter::create_from_metadata(options_for(path, false), source->metadata());
  REQUIRE(writer.ok());
  REQUIRE(source->find_copperlist(5, [&](const copper::log::CopperListView& cl) {
    CHECK((*writer)->commit_recorded(cl).ok());
    const auto again = (*writer)->commit_recorded(cl);
    CHECK(again.message() == "copperlist 5 after copperlist 5: ids must increase");
    copper::log::CopperListView fewer = cl;
    fewer.id = 6;
    fewer.slots = cl.slots.first(1);
    CHECK((*writer)->commit_recorded(fewer).message() == "copperlist 6 has 5 tasks and 1 slots, the log 5 and 4");
  }));
  CHECK((*writer)->close("done").ok());
  CHECK(LogWriter::create_from_metadata(options_for(path, false), nlohmann::json::object()).error_message() ==
        "the metadata has no \"tasks\" and \"slots\" arrays");
}
