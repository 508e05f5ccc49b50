// tools/json_text.cpp: the tools' JSON text is nlohmann's dump, byte for byte.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>

#include <nlohmann/json.hpp>

#include "json_text.hpp"

using nlohmann::json;

namespace {

std::string reference(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

// Bytes of every kind: printable ASCII, quotes and backslashes, control
// characters, DEL, valid multi-byte UTF-8, and stray continuation bytes.
std::string random_text(std::mt19937_64& rng) {
  static const std::string pieces[] = {"a", "Z", "0", "+", "/", "=", " ", "\"", "\\", "\n", "\t", std::string(1, '\0'),
                                       "\x1f", "\x7f", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x9a\x80", "\x80", "\xff"};
  std::string text;
  const size_t length = rng() % 12;
  for (size_t i = 0; i < length; ++i) text += pieces[rng() % std::size(pieces)];
  return text;
}

json random_value(std::mt19937_64& rng, int depth) {
  switch (rng() % (depth > 3 ? 6 : 8)) {
    case 0: return nullptr;
    case 1: return rng() % 2 == 0;
    case 2: return static_cast<int64_t>(rng());
    case 3: return rng();
    case 4: {
      const double special[] = {0.0, -0.0, 1.0, 0.1, 1e300, -1e-300, 123456789.125,
                                std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity()};
      return rng() % 2 ? special[rng() % std::size(special)] : std::ldexp(static_cast<double>(rng() % 100000), -7);
    }
    case 5: return random_text(rng);
    case 6: {
      json array = json::array();
      for (size_t i = rng() % 5; i > 0; --i) array.push_back(random_value(rng, depth + 1));
      return array;
    }
    default: {
      json object = json::object();
      for (size_t i = rng() % 5; i > 0; --i) object[random_text(rng)] = random_value(rng, depth + 1);
      return object;
    }
  }
}

}  // namespace

TEST_CASE("log.json_text.matches_dump_on_chosen_values") {
  const json document = {
      {"image", "QUJDRA+/=="},
      {"empty", ""},
      {"quote", "say \"hi\"\\"},
      {"control", std::string("a\x01\nb\0c", 6)},
      {"utf8", "caf\xc3\xa9 \xe2\x82\xac"},
      {"broken", "\xc3(\xff"},
      {"numbers", {0, -1, std::numeric_limits<int64_t>::min(), std::numeric_limits<uint64_t>::max(), 1.5, -0.0, 1e-7}},
      {"nested", {{"a", json::array()}, {"b", json::object()}, {"c", {nullptr, true, false}}}},
  };
  CHECK(copper::logtool::json_text(document) == reference(document));
  std::string appended = "prefix,";
  copper::logtool::append_json(appended, document);
  CHECK(appended == "prefix," + reference(document));
}

TEST_CASE("log.json_text.matches_dump_on_random_values") {
  std::mt19937_64 rng(20261203);
  for (int i = 0; i < 2000; ++i) {
    const json value = random_value(rng, 0);
    INFO("value " << i);
    REQUIRE(copper::logtool::json_text(value) == reference(value));
  }
}

// The MCAP export's views: floats spelled by std::to_chars, the same values.
TEST_CASE("log.json_text.shortest_floats_read_back_as_the_same_values") {
  std::mt19937_64 rng(20261206);
  for (int i = 0; i < 2000; ++i) {
    const json value = random_value(rng, 0);
    std::string text;
    copper::logtool::append_json(text, value, copper::logtool::FloatText::shortest);
    INFO("value " << i << ": " << text);
    // Only the spelling of floats differs: a value without floats is dump's text.
    if (text.find('.') == std::string::npos && text.find('e') == std::string::npos) {
      REQUIRE(text == reference(value));
    }
    // Non-finite floats become null in both: compare with dump's reading.
    REQUIRE(json::parse(text) == json::parse(reference(value)));
  }
  std::string text;
  copper::logtool::append_json(text, json::array({1.0, 1e15, 0.1, -0.0, 2.5e-8}), copper::logtool::FloatText::shortest);
  CHECK(text == "[1.0,1e+15,0.1,-0.0,2.5e-08]");
  CHECK(json::parse(text)[1].is_number_float());
}
