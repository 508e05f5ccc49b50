// copper-log export (tools/export.cpp, csv.cpp, selection.cpp): generic
// decoding agrees with the typed path, every format parses back, filters
// and ranges select exactly, times stay exact integers.
#include <doctest/doctest.h>

#include <sstream>

#include <nlohmann/json.hpp>

#include "copper/base64.hpp"
#include "copper/log/reader.hpp"
#include "csv.hpp"
#include "export.hpp"
#include "fixtures/graph_helpers.hpp"
#include "fixtures/log_tool.hpp"
#include "fixtures/recorded_log.hpp"

using namespace copper::logtool;
using testing_tasks::corpus_file;

namespace {

std::string export_text(const std::string& path, ExportOptions options) {
  auto reader = copper::log::LogReader::open(path);
  REQUIRE(reader.ok());
  options.progress = false;
  std::ostringstream out;
  auto counts = export_log(*reader, options, out);
  REQUIRE_MESSAGE(counts.ok(), counts.error_message());
  CHECK(counts->bytes == out.str().size());
  return out.str();
}

std::vector<nlohmann::json> lines_of(const std::string& text) {
  std::vector<nlohmann::json> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

ExportOptions with_format(ExportFormat format) {
  ExportOptions options;
  options.format = format;
  return options;
}

}  // namespace

// Bytes -> typed message -> to_json, against the generic export of the same
// log: every slot of every copperlist of a rover run (images as base64).
TEST_CASE("log.export.json_equals_typed_to_json_of_the_recording") {
  const std::string config = testing_tasks::read_rover_config();
  const testing_tasks::RecordedLog log(config, "log_export_rover", 25);
  auto built = testing_tasks::build_graph(config);
  REQUIRE(built.graph);
  const auto document = nlohmann::json::parse(export_text(log.path.string(), with_format(ExportFormat::json)));
  REQUIRE(document["copperlists"].size() == 25);
  auto reader = copper::log::LogReader::open(log.path);
  REQUIRE(reader.ok());
  size_t compared = 0;
  reader->for_each_copperlist([&](const copper::log::CopperListView& cl) {
    const auto& exported = document["copperlists"][cl.id];
    CHECK(exported["id"] == cl.id);
    CHECK(exported["time_ns"].get<int64_t>() == cl.time_ns);
    for (size_t slot = 0; slot < cl.slots.size(); ++slot) {
      const copper::SlotInfo& info = built.graph->slots()[slot];
      const copper::MessageType& type = *info.type;
      void* message = type.create();
      REQUIRE(type.decode(cl.slots[slot].bytes, message).ok());
      nlohmann::json expected = type.to_json(message);
      type.destroy(message);
      if (expected.contains("pixels"))
        expected["pixels"] = copper::base64_encode(expected["pixels"].get<std::vector<uint8_t>>());
      const std::string& task = built.graph->tasks()[info.producer].id;
      CHECK(exported["slots"][task]["message"] == expected);
      CHECK(exported["slots"][task]["time_of_validity_ns"].get<int64_t>() == cl.slots[slot].time_of_validity_ns);
      ++compared;
    }
    return true;
  });
  CHECK(compared == 25 * built.graph->slots().size());
}

TEST_CASE("log.export.jsonl_tasks_range_and_metadata") {
  ExportOptions options = with_format(ExportFormat::jsonl);
  options.tasks = {"acc", "text"};
  options.range = {10, 14};
  options.metadata = true;
  const auto lines = lines_of(export_text(corpus_file("clean.copper"), options));
  REQUIRE(lines.size() == 5);
  for (size_t i = 0; i < lines.size(); ++i) {
    const auto& cl = lines[i];
    CHECK(cl["id"] == 10 + i);
    CHECK(cl["time_ns"] == 1'000'000'000 + (10 + i) * 10'000'000);
    CHECK(cl["slots"].size() == 2);
    CHECK(cl["slots"]["text"]["message"]["text"] ==
          "n=" + std::to_string(cl["slots"]["acc"]["message"]["value"].get<uint64_t>()));
    CHECK(cl["tasks"].size() == 2);
    CHECK(cl["tasks"]["acc"]["status"] == "ok");
    CHECK(cl["tasks"]["acc"]["start_ns"].is_number_integer());
  }
  CHECK(lines[0]["slots"]["acc"]["message"]["value"] == 275);  // 5 * (0 + 1 + ... + 10)
}

TEST_CASE("log.export.json_is_one_document_with_metadata") {
  ExportOptions options = with_format(ExportFormat::json);
  options.metadata = true;
  options.range = {std::nullopt, 2};
  const auto doc = nlohmann::json::parse(export_text(corpus_file("clean_zstd.copper"), options));
  CHECK(doc["format"] == "copper-export");
  CHECK(doc["log"]["run_id"] == "c0ffee00c0ffee01c0ffee02c0ffee03");
  CHECK(doc["metadata"]["tasks"].size() == 5);
  CHECK(doc["copperlists"].size() == 3);
}

TEST_CASE("log.export.damaged_log_exports_what_is_intact") {
  const auto lines = lines_of(export_text(corpus_file("zeroed_page.copper"), with_format(ExportFormat::jsonl)));
  CHECK(lines.size() == 187);
  CHECK(lines[95]["id"] == 108);
}

TEST_CASE("log.export.unknown_task_is_an_error") {
  auto reader = copper::log::LogReader::open(corpus_file("clean.copper"));
  REQUIRE(reader.ok());
  ExportOptions options;
  options.tasks = {"nope"};
  std::ostringstream out;
  CHECK(export_log(*reader, options, out).error_message() == "no task \"nope\" in the log");
}

TEST_CASE("log.export.csv_columns_rows_and_quoting") {
  std::string field;
  append_csv_field(field, "plain");
  append_csv_field(field, "a,b");
  append_csv_field(field, "say \"hi\"\nbye");
  CHECK(field == "plain\"a,b\"\"say \"\"hi\"\"\nbye\"");

  ExportOptions options = with_format(ExportFormat::csv);
  options.range = {3, 4};
  const std::string csv = export_text(corpus_file("clean.copper"), options);
  std::istringstream in(csv);
  std::string header, row3, row4, extra;
  std::getline(in, header);
  std::getline(in, row3);
  std::getline(in, row4);
  CHECK_FALSE(std::getline(in, extra));
  CHECK(header ==
        "cl_id,time_ns,a.time_of_validity_ns,a.value,a.error,chat.time_of_validity_ns,chat.value,chat.error,"
        "acc.time_of_validity_ns,acc.value,acc.error,text.time_of_validity_ns,text.text,text.error");
  CHECK(row3 == "3,1030000000,1030000000,15,,1030000000,15,,1030000000,30,,1030000000,n=30,");
  CHECK(row4.rfind("4,1040000000,", 0) == 0);
}

TEST_CASE("log.export.csv_and_jsonl_blobs_as_base64_or_left_out") {
  const std::string config = testing_tasks::read_rover_config();
  const testing_tasks::RecordedLog log(config, "log_export_blobs", 3);
  ExportOptions options = with_format(ExportFormat::jsonl);
  options.tasks = {"camera"};
  const auto with = lines_of(export_text(log.path.string(), options));
  REQUIRE(with.size() == 3);
  const auto pixels = copper::base64_decode(with[0]["slots"]["camera"]["message"]["pixels"].get<std::string>());
  REQUIRE(pixels.ok());
  CHECK(pixels->size() == 160 * 120);
  options.blobs = false;
  const auto without = lines_of(export_text(log.path.string(), options));
  CHECK_FALSE(without[0]["slots"]["camera"]["message"].contains("pixels"));
  CHECK(without[0]["slots"]["camera"]["message"]["width"] == 160);

  options.format = ExportFormat::csv;
  const std::string csv = export_text(log.path.string(), options);
  CHECK(csv.rfind("cl_id,time_ns,camera.time_of_validity_ns,camera.stamp_ns,camera.width,camera.height,camera.error\n",
                  0) == 0);
  options.blobs = true;
  const std::string csv_blobs = export_text(log.path.string(), options);
  CHECK(csv_blobs.find("camera.pixels") != std::string::npos);
  CHECK(csv_blobs.find(copper::base64_encode(*pixels)) != std::string::npos);
}
