// The shared corpus of example logs (tests/corpus/README.md). Every file,
// read through LogReader, must give exactly what tests/corpus/expected.json
// says; every copperlist, text entry and keyframe a reader returns must be
// the one the recording produced; and the checked-in files must be what
// copper_corpus_gen makes from today's writer, so that a format change that
// forgets to regenerate the corpus fails here.
#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "copper/log/reader.hpp"
#include "copper/log/text_format.hpp"
#include "log/layout.hpp"
#include "copper/message.hpp"
#include "corpus_gen/corpus.hpp"
#include "fixtures/explained.hpp"
#include "fixtures/scratch_dir.hpp"
#include "fixtures/test_tasks.hpp"

namespace {

using copper::log::LogReader;
using nlohmann::json;

const std::filesystem::path kCorpusDir = COPPER_CORPUS_DIR;
// Logs of format version 1, frozen when version 2 came: a reader must keep
// reading them (tests/corpus/README.md).
const std::filesystem::path kVersion1Dir = kCorpusDir / "v1";

json load_expected(const std::filesystem::path& dir) {
  std::ifstream in(dir / "expected.json");
  REQUIRE(static_cast<bool>(in));
  return json::parse(in);
}

std::set<std::string> corpus_files(const std::filesystem::path& dir = kCorpusDir) {
  std::set<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    if (entry.path().extension() == ".copper") names.insert(entry.path().filename().string());
  return names;
}

// What a tool walking the file gets through the iteration API.
struct Walked {
  std::vector<uint64_t> ids;
  uint64_t text_entries = 0;
  std::vector<uint64_t> keyframes;  // their cl_id
};

Walked walk(LogReader& reader) {
  Walked walked;
  reader.for_each_copperlist([&](const copper::log::CopperListView& cl) {
    walked.ids.push_back(cl.id);
    return true;
  });
  reader.for_each_text([&](const copper::log::TextEntry&) {
    ++walked.text_entries;
    return true;
  });
  reader.for_each_keyframe([&](const copper::log::Keyframe& keyframe) {
    walked.keyframes.push_back(keyframe.cl_id);
    return true;
  });
  return walked;
}

// [first, last] ranges of ids absent between the present ones.
json gaps(const std::vector<uint64_t>& ids) {
  json out = json::array();
  for (size_t i = 1; i < ids.size(); ++i)
    if (ids[i] > ids[i - 1] + 1) out.push_back({ids[i - 1] + 1, ids[i] - 1});
  return out;
}

json damage_json(const std::vector<copper::log::Damage>& damage) {
  json out = json::array();
  for (const auto& d : damage) out.push_back({{"offset", d.offset}, {"length", d.length}, {"reason", d.reason}});
  return out;
}

json events_json(const std::vector<copper::log::Event>& events) {
  json out = json::array();
  for (const auto& e : events) out.push_back(copper::log::to_string(e.kind));
  return out;
}

// The reader's account of an opened file, in expected.json's terms. The
// verification pass (check()) and the iteration API must agree first.
json account(LogReader& reader) {
  const Walked walked = walk(reader);
  const auto& report = reader.check();
  CHECK(report.cl_count == walked.ids.size());
  CHECK(report.text_entries == walked.text_entries);
  CHECK(report.keyframes == walked.keyframes.size());
  json missing = json::array();
  for (const auto& [first, last] : report.missing_cls) missing.push_back({first, last});
  CHECK(missing == gaps(walked.ids));
  return {{"header_clean_close", reader.header().clean_close},
          {"header_checksum_ok", reader.header().checksum_ok},
          {"metadata", reader.metadata().is_object()},
          {"has_footer", reader.has_footer()},
          {"copperlists", walked.ids.size()},
          {"first_cl_id", walked.ids.empty() ? json() : json(walked.ids.front())},
          {"last_cl_id", walked.ids.empty() ? json() : json(walked.ids.back())},
          {"missing_cls", missing},
          {"text_entries", walked.text_entries},
          {"keyframes", walked.keyframes},
          {"events", events_json(report.events)},
          {"damage", damage_json(report.damage)},
          {"unwritten_tail_bytes", report.unwritten_tail_bytes}};
}

// The failure record, when the file has one: its words, and which tasks ran.
json failure_json(const copper::log::RecordedFailure& failure) {
  json statuses = json::array();
  for (const auto& task : failure.tasks) statuses.push_back(copper::to_string(task.status));
  return {{"task", failure.task_id},
          {"phase", failure.phase},
          {"cl_id", failure.cl_id},
          {"message", failure.message},
          {"task_statuses", statuses}};
}

json observe(const std::filesystem::path& path) {
  auto reader = LogReader::open(path);
  if (!reader) return {{"open_error", std::string(reader.error_message())}};
  json observed = account(*reader);
  if (const auto& failure = reader->check().failure) observed["failure"] = failure_json(*failure);
  return observed;
}

// Both are strings and `text` holds `part`; the evidence quotes both.
testing_tasks::Explained contains(const json& text, const json& part) {
  return {text.is_string() && part.is_string() &&
              text.get<std::string>().find(part.get<std::string>()) != std::string::npos,
          text.dump() + " contains " + part.dump()};
}

// Offsets and lengths exactly; a reason by the substring expected.json gives.
void check_damage(const json& observed, const json& expected) {
  CHECK(observed.size() == expected.size());
  for (size_t i = 0; i < std::min(observed.size(), expected.size()); ++i) {
    INFO("damage ", i, ": ", observed[i].dump());
    CHECK(observed[i]["offset"] == expected[i]["offset"]);
    CHECK(observed[i]["length"] == expected[i]["length"]);
    CHECK(contains(observed[i]["reason"], expected[i]["reason"]));
  }
}

void check_matches(const json& observed, const json& expected) {
  INFO("observed: ", observed.dump());
  if (expected.contains("open_error")) {
    CHECK(contains(observed.value("open_error", json()), expected["open_error"]));
    return;
  }
  REQUIRE_FALSE(observed.contains("open_error"));
  CHECK(observed.size() == expected.size());
  for (const auto& [key, value] : observed.items()) {
    INFO("field ", key);
    REQUIRE(expected.contains(key));
    if (key == "damage")
      check_damage(value, expected[key]);
    else
      CHECK(value == expected[key]);
  }
}

// --- what the recording produced: the corpus graph (corpus_gen/corpus.cpp)
// is a counter of step 5 feeding chatty -> accumulate -> to_text -> a sink,
// copperlist n at time 1 s + n * 10 ms.

int64_t cl_time(uint64_t id) { return 1'000'000'000 + static_cast<int64_t>(id) * 10'000'000; }
int64_t counter_value(uint64_t id) { return 5 * static_cast<int64_t>(id); }
int64_t running_sum_before(uint64_t id) { return id == 0 ? 0 : 5 * static_cast<int64_t>(id * (id - 1) / 2); }

json expected_copperlist(uint64_t id) {
  const int64_t time = cl_time(id);
  const int64_t sum = running_sum_before(id + 1);
  json tasks = json::array();
  const std::vector<std::string> names = {"a", "chat", "acc", "text", "out"};
  for (size_t i = 0; i < names.size(); ++i) {
    const int64_t start = time + 1000 * static_cast<int64_t>(i);  // as normalize() stamps them
    tasks.push_back({{"id", names[i]}, {"start_ns", start}, {"end_ns", start + 500}, {"status", "ok"}});
  }
  const auto slot = [&](json message) { return json{{"time_of_validity_ns", time}, {"message", std::move(message)}}; };
  json slots = {{"a", slot({{"value", counter_value(id)}})},
                {"chat", slot({{"value", counter_value(id)}})},
                {"acc", slot({{"value", sum}})},
                {"text", slot({{"text", fmt::format("n={}", sum)}})}};
  return {{"id", id}, {"time_ns", time}, {"tasks", std::move(tasks)}, {"slots", std::move(slots)}};
}

std::string expected_text(uint64_t id) {
  const int64_t value = counter_value(id);
  return fmt::format("value={} half={:.1f} tag=ok", value, static_cast<double>(value) / 2.0);
}

void check_copperlists(LogReader& reader) {
  std::set<uint64_t> ids;
  reader.for_each_copperlist([&](const copper::log::CopperListView& cl) {
    ids.insert(cl.id);
    CHECK(reader.copperlist_to_json(cl) == expected_copperlist(cl.id));
    return true;
  });
  // The index path (find) must see exactly what the walk saw.
  for (uint64_t id = 0; id <= 200; ++id) {
    INFO("find_copperlist(", id, ")");
    CHECK(reader.find_copperlist(id, [&](const copper::log::CopperListView& cl) { CHECK(cl.id == id); }) ==
          ids.contains(id));
  }
}

void check_text(LogReader& reader) {
  std::map<uint32_t, std::string> formats;
  for (const auto& s : reader.check().strings) formats[s.id] = s.format;
  reader.for_each_text([&](const copper::log::TextEntry& entry) {
    INFO("text entry of copperlist ", entry.cl_id);
    CHECK(entry.task_index == 1);  // chat
    const auto format = formats.find(entry.string_id);
    CHECK(format != formats.end());
    if (format == formats.end()) return true;
    auto text = copper::log::format_text(format->second, entry.arg_count, entry.args);
    CHECK(text.ok());
    CHECK((text.ok() ? *text : std::string()) == expected_text(entry.cl_id));
    return true;
  });
}

// Only acc (task 2) has a state: the sum of what it saw before the keyframe.
void check_keyframes(LogReader& reader) {
  reader.for_each_keyframe([&](const copper::log::Keyframe& keyframe) {
    INFO("keyframe of copperlist ", keyframe.cl_id);
    CHECK(keyframe.states.size() == 1);
    if (keyframe.states.size() != 1) return true;
    CHECK(keyframe.states[0].task_index == 2);
    testing_tasks::Number state;
    CHECK(copper::decode(keyframe.states[0].state, state).ok());
    CHECK(state.value == running_sum_before(keyframe.cl_id));
    return true;
  });
}

// The zstd log's frames depend on the libzstd version, so it is compared
// record by record after decompression, leaving out the records that hold
// stored sizes or offsets (sync, summary, index, footer).
bool same_decompressed(const corpus::Bytes& a, const corpus::Bytes& b) {
  using copper::log::RecordType;
  const auto comparable = [](const corpus::Bytes& file) {
    std::vector<std::pair<uint16_t, corpus::Bytes>> out;
    for (auto& rec : corpus::parse_records(file))
      if (!corpus::is(rec, RecordType::sync) && !corpus::is(rec, RecordType::summary) &&
          !corpus::is(rec, RecordType::index) && !corpus::is(rec, RecordType::footer))
        out.emplace_back(rec.type, std::move(rec.payload));
    return out;
  };
  const auto header = copper::log::kFileHeaderSize;
  return a.size() >= header && b.size() >= header && std::equal(a.begin(), a.begin() + header, b.begin()) &&
         comparable(a) == comparable(b);
}

}  // namespace

void check_directory(const std::filesystem::path& dir) {
  const json expected = load_expected(dir);
  std::set<std::string> named;
  for (const auto& [name, want] : expected.items()) named.insert(name);
  CHECK(named == corpus_files(dir));
  for (const auto& [name, want] : expected.items()) {
    SUBCASE(name.c_str()) { check_matches(observe(dir / name), want); }
  }
}

void check_salvage(const std::filesystem::path& dir) {
  size_t opened = 0;
  for (const std::string& name : corpus_files(dir)) {
    auto reader = LogReader::open(dir / name);
    if (!reader) continue;  // refused files: every_file_matches_expected checks the message
    ++opened;
    SUBCASE(name.c_str()) {
      check_copperlists(*reader);
      check_text(*reader);
      check_keyframes(*reader);
    }
  }
  // Most of the corpus is salvageable; if the reader refused it all, this
  // test would check nothing.
  CHECK(opened >= corpus_files(dir).size() / 2);
}

TEST_CASE("log.corpus.every_file_matches_expected") { check_directory(kCorpusDir); }
TEST_CASE("log.corpus.version_1_files_stay_readable") { check_directory(kVersion1Dir); }
TEST_CASE("log.corpus.salvage_returns_only_what_was_recorded") { check_salvage(kCorpusDir); }
TEST_CASE("log.corpus.version_1_salvage_returns_only_what_was_recorded") { check_salvage(kVersion1Dir); }

TEST_CASE("log.corpus.clean_logs_are_whole") {
  for (const char* name : {"clean.copper", "clean_zstd.copper"}) {
    INFO(name);
    auto reader = LogReader::open(kCorpusDir / name);
    REQUIRE(reader.ok());
    std::vector<uint64_t> ids;
    uint64_t undecoded = 0;
    reader->for_each_copperlist([&](const copper::log::CopperListView& cl) {
      ids.push_back(cl.id);
      const json decoded = reader->copperlist_to_json(cl);  // named: the loop below borrows from it
      for (const auto& [producer, slot] : decoded["slots"].items()) undecoded += slot.contains("message") ? 0 : 1;
      return true;
    });
    REQUIRE(ids.size() == 200);
    for (uint64_t i = 0; i < ids.size(); ++i) CHECK(ids[i] == i);
    CHECK(undecoded == 0);
    CHECK(reader->check().clean());
    CHECK(reader->summary()["cl_count"] == 200);
  }
}

TEST_CASE("log.corpus.checked_in_files_are_what_the_generator_makes") {
  const copper_test::ScratchDir dir("copper_corpus_test");
  const std::vector<corpus::CorpusFile> made = corpus::make_corpus(dir / "scratch.copper");
  std::set<std::string> names;
  for (const auto& file : made) {
    INFO(file.name,
         " is not what copper_corpus_gen makes now: after a format change, run"
         " build/tests/copper_corpus_gen tests/corpus and review expected.json");
    names.insert(file.name);
    const corpus::Bytes checked_in = corpus::read_file(kCorpusDir / file.name);
    if (file.name == "clean_zstd.copper")
      CHECK(same_decompressed(checked_in, file.bytes));
    else
      CHECK(checked_in == file.bytes);
  }
  CHECK(names == corpus_files());
}
