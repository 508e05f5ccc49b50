// MessageDecoder::append_json: an encoded message straight to JSON text,
// which must parse to exactly what decode() gives, fail exactly where and
// as decode() fails, and escape strings as the tools' json_text does.
#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "copper/log/reader.hpp"
#include "copper/message.hpp"
#include "fixtures/graph_helpers.hpp"
#include "fixtures/message_types.hpp"
#include "fixtures/recorded_log.hpp"
#include "json_text.hpp"

using nlohmann::json;

namespace json_text_test {

// Runs of bytes where decode() leaves them out of a struct or writes null
// in an array, and bytes that stay numbers (i8).
struct Runs {
  std::array<std::uint8_t, 3> rgb{};
  std::vector<std::uint8_t> pixels;
  std::vector<std::vector<std::uint8_t>> rows;
  std::array<std::vector<std::uint8_t>, 2> planes;
  std::vector<std::array<std::uint8_t, 2>> pairs;
  std::vector<std::int8_t> signed_bytes;
  std::vector<std::uint8_t> empty;
  std::uint8_t last = 0;
};
BOOST_DESCRIBE_STRUCT(Runs, (), (rgb, pixels, rows, planes, pairs, signed_bytes, empty, last))

struct Floats {
  float f32 = 0;
  double f64 = 0;
  std::vector<float> f32s;
  std::vector<double> f64s;
};
BOOST_DESCRIBE_STRUCT(Floats, (), (f32, f64, f32s, f64s))

struct Words {
  std::uint32_t count = 0;  // keys in schema order are also sorted: "count", "words"
  std::vector<std::string> words;
};
BOOST_DESCRIBE_STRUCT(Words, (), (count, words))

// Not inlined: g++ 12 at -O3 sees a null store in the inlined encoder
// (a -Wnull-dereference false positive).
[[gnu::noinline]] std::vector<std::uint8_t> encoded_words(const Words& words) { return copper_test::encoded(words); }

constexpr std::array<copper::BytesAs, 3> kAllBytesAs = {copper::BytesAs::numbers, copper::BytesAs::base64,
                                                        copper::BytesAs::omitted};

Runs make_runs() {
  Runs r;
  r.rgb = {1, 2, 250};
  r.pixels = {0, 1, 2, 3, 255};
  r.rows = {{1}, {}, {2, 3}};
  r.planes = {std::vector<std::uint8_t>{7, 8}, std::vector<std::uint8_t>{}};
  r.pairs = {{4, 5}, {6, 7}};
  r.signed_bytes = {-128, 1};
  r.last = 9;
  return r;
}

// append_json's text, parsed, against decode(), for one message.
void check_same(const copper::MessageDecoder& decoder, std::span<const std::uint8_t> bytes, copper::BytesAs bytes_as) {
  std::string text;
  const copper::Status status = decoder.append_json(bytes, bytes_as, text);
  const auto decoded = decoder.decode(bytes, bytes_as);
  REQUIRE(status.ok() == decoded.ok());
  if (!decoded.ok()) {
    CHECK(status.message() == decoded.error_message());
    CHECK(text.empty());
    return;
  }
  INFO(text);
  CHECK(json::parse(text) == *decoded);
}

template <class T>
copper::MessageDecoder decoder_of() {
  auto decoder = copper::MessageDecoder::compile(copper::schema_of<T>());
  REQUIRE(decoder.ok());
  return *decoder;
}

// Every message of every slot of a log, for every BytesAs; how many.
size_t check_log(const std::filesystem::path& path) {
  auto reader = copper::log::LogReader::open(path);
  if (!reader.ok()) return 0;  // a file no reader opens: nothing to compare
  size_t checked = 0;
  reader->for_each_copperlist([&](const copper::log::CopperListView& cl) {
    for (size_t i = 0; i < cl.slots.size(); ++i) {
      auto decoder = reader->slot_decoder(i);
      if (!decoder.ok()) continue;
      for (const copper::BytesAs bytes_as : kAllBytesAs) check_same(*decoder, cl.slots[i].bytes, bytes_as);
      ++checked;
    }
    return true;
  });
  return checked;
}

std::string random_text(std::mt19937_64& rng) {
  static const std::string pieces[] = {"a",
                                       "Z",
                                       " ",
                                       "\"",
                                       "\\",
                                       "\n",
                                       "\t",
                                       "/",
                                       "\x1f",
                                       "\x7f",
                                       std::string(1, '\0'),
                                       "\xc3\xa9",
                                       "\xe2\x82\xac",
                                       "\xf0\x9f\x9a\x80",
                                       "\x80",
                                       "\xff",
                                       "\xe2\x82",
                                       "\xc0\xaf",
                                       "\xed\xa0\x80"};
  std::string text;
  const size_t length = rng() % 10;
  for (size_t i = 0; i < length; ++i) text += pieces[rng() % std::size(pieces)];
  return text;
}

}  // namespace json_text_test

using namespace json_text_test;

TEST_CASE("message.json_text.all_types_parse_to_what_decode_gives_for_every_bytes_as") {
  const auto everything = decoder_of<copper_test::Everything>();
  const auto runs = decoder_of<Runs>();
  const auto everything_bytes = copper_test::encoded(copper_test::make_everything());
  const auto runs_bytes = copper_test::encoded(make_runs());
  for (const copper::BytesAs bytes_as : kAllBytesAs) {
    CAPTURE(static_cast<int>(bytes_as));
    check_same(everything, everything_bytes, bytes_as);
    check_same(runs, runs_bytes, bytes_as);
  }
  // Fields in schema order; an omitted run leaves no stray comma.
  std::string text;
  REQUIRE(runs.append_json(runs_bytes, copper::BytesAs::omitted, text).ok());
  CHECK(text ==
        R"({"rows":[null,null,null],"planes":[null,null],"pairs":[null,null],"signed_bytes":[-128,1],"last":9})");
  text.clear();
  REQUIRE(runs.append_json(runs_bytes, copper::BytesAs::base64, text).ok());
  CHECK(text.starts_with(R"({"rgb":"AQL6","pixels":"AAECA/8=","rows":["AQ==","","AgM="],)"));
}

TEST_CASE("message.json_text.every_corpus_and_rover_message_parses_to_what_decode_gives") {
  size_t checked = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(COPPER_CORPUS_DIR)) {
    if (entry.path().extension() != ".copper") continue;
    CAPTURE(entry.path().string());
    checked += check_log(entry.path());
  }
  CHECK(checked > 100);
  // The rover's images, lidar ranges (floats) and poses.
  const testing_tasks::RecordedLog rover(testing_tasks::read_rover_config(), "json_text_rover", 8);
  CHECK(check_log(rover.path) >= 8 * 3);
}

TEST_CASE("message.json_text.floats_read_back_bit_exact_and_non_finite_ones_are_null") {
  const auto decoder = decoder_of<Floats>();
  Floats f;
  f.f32 = std::numeric_limits<float>::quiet_NaN();
  f.f64 = -std::numeric_limits<double>::infinity();
  f.f32s = {std::numeric_limits<float>::infinity(), 1.0F, -0.0F, 0.1F, 1e-45F, 3.4e38F, 16777216.0F};
  f.f64s = {std::numeric_limits<double>::quiet_NaN(), 1e15, 1e16, 1e21, 1e22, 123456789012345680000.0, 5e-324, -0.0};
  std::mt19937_64 rng(15);
  while (f.f64s.size() < 2000) {
    const std::uint64_t bits = rng();
    double value = 0;
    std::memcpy(&value, &bits, sizeof value);
    if (std::isfinite(value)) f.f64s.push_back(value);
  }
  const auto bytes = copper_test::encoded(f);
  check_same(decoder, bytes, copper::BytesAs::numbers);

  std::string text;
  REQUIRE(decoder.append_json(bytes, copper::BytesAs::numbers, text).ok());
  CHECK(text.starts_with(R"({"f32":null,"f64":null,"f32s":[null,1.0,-0.0,0.10000000149011612,)"));
  const json parsed = json::parse(text);
  // nlohmann writes non-finite values as null too.
  CHECK(json(f.f64).dump() == "null");
  CHECK(parsed["f64s"][0].is_null());
  // Whole numbers stay floats, every double reads back to its bits.
  for (size_t i = 1; i < f.f64s.size(); ++i) {
    REQUIRE(parsed["f64s"][i].is_number_float());
    const double back = parsed["f64s"][i].get<double>();
    CHECK(std::memcmp(&back, &f.f64s[i], sizeof back) == 0);
  }
}

TEST_CASE("message.json_text.strings_are_escaped_as_json_text_writes_them") {
  const auto decoder = decoder_of<Words>();
  Words w;
  w.words = {"",
             "plain ascii",
             "quote \" and \\ back",
             "\x01\x1f\x7f",
             "h\xc3\xa9llo",
             "bad \xff byte",
             "cut \xe2\x82",
             "overlong \xc0\xaf",
             "surrogate \xed\xa0\x80"};
  std::mt19937_64 rng(16);
  for (int i = 0; i < 300; ++i) w.words.push_back(random_text(rng));
  w.count = static_cast<std::uint32_t>(w.words.size());
  std::string text;
  REQUIRE(decoder.append_json(encoded_words(w), copper::BytesAs::numbers, text).ok());
  // The fields' schema order is their sorted order: the texts are comparable.
  CHECK(text == copper::logtool::json_text(copper::to_json(w)));
}

TEST_CASE("message.json_text.malformed_bytes_give_decodes_error_and_leave_the_text_as_it_was") {
  const auto decoder = decoder_of<copper_test::Everything>();
  const auto clean = copper_test::encoded(copper_test::make_everything());
  const std::string before = "[1,";
  size_t failures = 0;
  const auto check_fails_alike = [&](std::span<const std::uint8_t> bytes) {
    for (const copper::BytesAs bytes_as : kAllBytesAs) {
      std::string text = before;
      const copper::Status status = decoder.append_json(bytes, bytes_as, text);
      const auto decoded = decoder.decode(bytes, bytes_as);
      REQUIRE(status.ok() == decoded.ok());
      if (status.ok()) {
        // Strings in garbage may be invalid UTF-8: compared as the tools write them.
        CHECK(json::parse(text.substr(before.size())) == json::parse(copper::logtool::json_text(*decoded)));
        continue;
      }
      ++failures;
      CHECK(status.message() == decoded.error_message());
      CHECK(text == before);
    }
  };
  for (size_t length = 0; length < clean.size(); ++length) check_fails_alike(copper_test::prefix(clean, length));
  auto trailing = clean;
  trailing.push_back(0);
  check_fails_alike(trailing);
  std::mt19937_64 rng(17);
  for (int i = 0; i < 500; ++i) {
    auto garbage = clean;
    garbage[rng() % garbage.size()] = static_cast<std::uint8_t>(rng());
    garbage[rng() % garbage.size()] = static_cast<std::uint8_t>(rng());
    check_fails_alike(garbage);
  }
  CHECK(failures >= 3 * clean.size());
}

TEST_CASE("message.json_text.appends_after_the_text_already_there") {
  const auto decoder = decoder_of<Runs>();
  const auto bytes = copper_test::encoded(make_runs());
  std::string one;
  REQUIRE(decoder.append_json(bytes, copper::BytesAs::base64, one).ok());
  std::string text = "[";
  REQUIRE(decoder.append_json(bytes, copper::BytesAs::base64, text).ok());
  text += ',';
  REQUIRE(decoder.append_json(bytes, copper::BytesAs::base64, text).ok());
  text += ']';
  CHECK(text == "[" + one + "," + one + "]");
  CHECK(json::parse(text) == json::array({json::parse(one), json::parse(one)}));
}
