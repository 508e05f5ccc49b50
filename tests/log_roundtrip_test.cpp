// Writer and reader together: what a run commits is what the reader returns,
// byte for byte, with and without compression; keyframes, text and events
// come back too.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>

#include "copper/log/reader.hpp"
#include "copper/log/text_format.hpp"
#include "copper/log/writer.hpp"
#include "copper/runtime.hpp"
#include "fixtures/graph_helpers.hpp"
#include "fixtures/scratch_dir.hpp"
#include "fixtures/test_tasks.hpp"

namespace {

using testing_tasks::kTextChainGraph;

// Keeps each copperlist's encoded slots, as committed.
class Capture final : public copper::CommitSink {
 public:
  std::vector<std::vector<std::vector<uint8_t>>> cycles;
  copper::Status commit(const copper::CopperList& cl) override {
    auto& slots = cycles.emplace_back(cl.slot_count());
    for (uint32_t s = 0; s < cl.slot_count(); ++s) cl.message_type(s).encode(cl.message(s), slots[s]);
    return {};
  }
};

// Records `cycles` copperlists of kTextChainGraph into `path`; returns what was committed.
Capture record(const std::filesystem::path& path, copper::log::Compression compression, uint64_t cycles) {
  auto built = testing_tasks::build_graph(kTextChainGraph);
  REQUIRE(built.graph);
  copper::log::WriterOptions options;
  options.path = path;
  options.overwrite = true;
  options.compression = compression;
  options.slab_size = copper::log::kMinSlabSize;
  options.batch_bytes = copper::log::kMinSlabSize / 4;
  auto writer = copper::log::LogWriter::create(options, *built.graph);
  REQUIRE_MESSAGE(writer.ok(), writer.error_message());
  Capture capture;
  copper::CommitFanout sinks;
  sinks.add(writer->get());
  sinks.add(&capture);
  copper::ManualClock clock;
  copper::SerialExecutor executor(*built.graph, clock);
  executor.set_keyframe_interval(100);
  copper::StopConditions stop;
  stop.cycles = cycles;
  REQUIRE(executor.run(stop, &sinks).ok());
  REQUIRE((*writer)->close("cycle limit reached").ok());
  return capture;
}

void check_roundtrip(copper::log::Compression compression) {
  const copper_test::ScratchDir dir("copper_roundtrip");
  const auto path = dir / "run.copper";
  const Capture written = record(path, compression, 1000);
  auto reader = copper::log::LogReader::open(path);
  REQUIRE_MESSAGE(reader.ok(), reader.error_message());
  CHECK(reader->header().clean_close);
  CHECK(reader->has_footer());
  const auto& report = reader->check();
  CHECK(report.clean());
  CHECK(report.cl_count == 1000);
  CHECK(reader->metadata()["config"] == nlohmann::json::parse(kTextChainGraph));

  uint64_t next = 0;
  reader->for_each_copperlist([&](const copper::log::CopperListView& cl) {
    REQUIRE(cl.id == next);
    REQUIRE(cl.slots.size() == written.cycles[next].size());
    for (size_t s = 0; s < cl.slots.size(); ++s)
      CHECK(std::vector<uint8_t>(cl.slots[s].bytes.begin(), cl.slots[s].bytes.end()) == written.cycles[next][s]);
    ++next;
    return true;
  });
  CHECK(next == 1000);

  std::vector<uint64_t> keyframes;
  reader->for_each_keyframe([&](const copper::log::Keyframe& keyframe) {
    keyframes.push_back(keyframe.cl_id);
    return true;
  });
  CHECK(keyframes == std::vector<uint64_t>{0, 100, 200, 300, 400, 500, 600, 700, 800, 900});

  CHECK(reader->find_copperlist(777, [&](const copper::log::CopperListView& cl) {
    CHECK(reader->copperlist_to_json(cl)["slots"]["a"]["message"]["value"] == 5 * 777);
  }));
}

}  // namespace

TEST_CASE("log.roundtrip.uncompressed_bytes_identical") { check_roundtrip(copper::log::Compression::none()); }

TEST_CASE("log.roundtrip.zstd_bytes_identical") { check_roundtrip(copper::log::Compression::zstd(3)); }

TEST_CASE("log.roundtrip.text_log_rebuilt_offline") {
  const copper_test::ScratchDir dir("copper_roundtrip_text");
  const auto path = dir / "run.copper";
  record(path, copper::log::Compression::none(), 50);
  auto reader = copper::log::LogReader::open(path);
  REQUIRE(reader.ok());
  const auto& strings = reader->check().strings;
  std::vector<std::string> lines;
  reader->for_each_text([&](const copper::log::TextEntry& entry) {
    const auto format = std::find_if(strings.begin(), strings.end(),
                                     [&](const auto& s) { return s.id == entry.string_id; });
    REQUIRE(format != strings.end());
    auto text = copper::log::format_text(format->format, entry.arg_count, entry.args);
    REQUIRE_MESSAGE(text.ok(), text.error_message());
    lines.push_back(std::to_string(entry.cl_id) + " " + *text);
    return true;
  });
  REQUIRE(lines.size() == 50);
  CHECK(lines[0] == "0 value=0 half=0.0 tag=ok");
  CHECK(lines[7] == "7 value=35 half=17.5 tag=ok");
}
