// The binary encoding of messages (message_codec.hpp): encode, decode,
// matches_encoding and the content hash, each checked against the generic
// decoder (bytes + schema) where one exists.

#include "copper/message_codec.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "fixtures/message_types.hpp"

namespace {

using namespace copper_test;  // the shared message types and helpers
using nlohmann::json;

// The byte-swapping path big-endian hosts take.
static_assert(copper::detail::swap_bytes<std::uint32_t>(0x11223344U) == 0x44332211U);
static_assert(copper::detail::swap_bytes<std::uint64_t>(0x0102030405060708ULL) == 0x0807060504030201ULL);
static_assert(copper::detail::swap_bytes<std::uint16_t>(0xBEEF) == 0xEFBE);

TEST_SUITE_BEGIN("message");

TEST_CASE("message.encode.roundtrip_every_field_type") {
  const Everything original = make_everything();
  const auto bytes = encoded(original);
  CHECK(bytes.size() == copper::encoded_size(original));

  Everything decoded;
  const copper::Status status = copper::decode(bytes, decoded);
  REQUIRE_MESSAGE(status.ok(), status.message());
  CHECK(copper::content_equal(decoded, original));
  CHECK(std::signbit(decoded.f64));
  CHECK(decoded.u64 == std::numeric_limits<std::uint64_t>::max());
  CHECK(decoded.i64 == std::numeric_limits<std::int64_t>::min());
  CHECK(decoded.samples[0].label == "s0");
  CHECK(decoded.bits == original.bits);
  CHECK(encoded(decoded) == bytes);

  // Decoding into a message that already holds bigger, different values.
  Everything reused = make_everything();
  reused.ints.assign(100, 7);
  reused.words.assign(10, std::string(50, 'x'));
  reused.samples.resize(5);
  reused.bits.assign(70, true);
  REQUIRE(copper::decode(bytes, reused).ok());
  CHECK(copper::content_equal(reused, original));
}

TEST_CASE("message.encode.empty_values_roundtrip") {
  check_paths_agree(Everything{});
  check_paths_agree(copper_test::Empty{});
  CHECK(encoded(copper_test::Empty{}).empty());
}

TEST_CASE("message.encode.exact_byte_layout") {
  const Tiny tiny{0x1234, true, "hi", {1, -2}, {-1, 5}, 1.0};
  const std::vector<std::uint8_t> expected = {
      0x34, 0x12,                                      // a: u16
      0x01,                                            // b: bool
      0x02, 0x00, 0x00, 0x00, 'h',  'i',               // s: u32 length + bytes
      0x02, 0x00, 0x00, 0x00,                          // v: u32 count
      0x01, 0x00, 0x00, 0x00, 0xFE, 0xFF, 0xFF, 0xFF,  // v: 1, -2
      0xFF, 0x05,                                      // arr: no prefix
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xF0, 0x3F,  // d: 1.0
  };
  CHECK(encoded(tiny) == expected);
  CHECK(copper::encoded_size(tiny) == expected.size());

  // Base members come first.
  copper_test::Derived derived;
  derived.id = 7;
  derived.note = "n";
  CHECK(encoded(derived) == std::vector<std::uint8_t>{7, 0, 0, 0, 1, 0, 0, 0, 'n'});
}

TEST_CASE("message.encode.appends_without_reallocating") {
  const Everything msg = make_everything();
  std::vector<std::uint8_t> buffer = {0xAA, 0xBB};
  copper::encode(msg, buffer);
  REQUIRE(buffer.size() == 2 + copper::encoded_size(msg));
  CHECK(buffer[0] == 0xAA);
  CHECK(buffer[1] == 0xBB);
  CHECK(std::vector<std::uint8_t>(buffer.begin() + 2, buffer.end()) == encoded(msg));

  buffer.clear();
  copper::encode(msg, buffer);
  const std::uint8_t* data = buffer.data();
  const std::size_t capacity = buffer.capacity();
  for (int i = 0; i < 3; ++i) {
    buffer.clear();
    copper::encode(msg, buffer);
  }
  CHECK(buffer.data() == data);
  CHECK(buffer.capacity() == capacity);
}

TEST_CASE("message.encode.matches_encoding_accepts_only_the_encoding") {
  auto check = [](const auto& msg) {
    const auto bytes = encoded(msg);
    CHECK(copper::matches_encoding(msg, bytes));
    for (std::size_t length = 0; length < bytes.size(); ++length) {
      CAPTURE(length);
      CHECK_FALSE(copper::matches_encoding(msg, prefix(bytes, length)));
    }
    auto longer = bytes;
    longer.push_back(0);
    CHECK_FALSE(copper::matches_encoding(msg, longer));
    for (std::size_t at = 0; at < bytes.size(); ++at) {
      CAPTURE(at);
      auto flipped = bytes;
      flipped[at] ^= 0x01;
      CHECK_FALSE(copper::matches_encoding(msg, flipped));
    }
  };
  check(make_everything());
  check(Everything{});
  check(Tiny{0x1234, true, "hi", {1, -2}, {-1, 5}, 1.0});
  CHECK(copper::matches_encoding(copper_test::Empty{}, {}));

  // Through the type-erased handle, as the replay calls it.
  const Everything msg = make_everything();
  const copper::MessageType& type = copper::message_type<Everything>();
  CHECK(type.matches_encoding(&msg, encoded(msg)));
  Everything other = msg;
  other.bits.back() = !other.bits.back();
  CHECK_FALSE(type.matches_encoding(&other, encoded(msg)));
}

TEST_CASE("message.hash.content_hash") {
  const Everything a = make_everything();
  const Everything b = make_everything();
  CHECK(copper::content_hash(a) == copper::content_hash(b));
  CHECK(copper::content_hash(a) == copper::content_hash(std::span<const std::uint8_t>(encoded(a))));
  // XXH3_64bits of nothing, seed 0: pins the algorithm, not just consistency.
  CHECK(copper::content_hash(copper_test::Empty{}) == 0x2D06800538D394C2ULL);

  Everything changed = a;
  changed.samples[1].valid = true;
  CHECK(copper::content_hash(changed) != copper::content_hash(a));
  changed = a;
  changed.f64 = 0.0;  // -0.0 in a: equal by ==, different bits
  CHECK(copper::content_hash(changed) != copper::content_hash(a));
  CHECK_FALSE(copper::content_equal(changed, a));
  changed = a;
  changed.jagged[1].push_back(0);
  CHECK(copper::content_hash(changed) != copper::content_hash(a));
}

TEST_CASE("message.decode.every_truncation_fails") {
  auto check_truncations = [](const auto& msg) {
    using T = std::decay_t<decltype(msg)>;
    const auto bytes = encoded(msg);
    const json schema = copper::schema_of<T>();
    const std::string expected_prefix = "decode " + copper::type_name<T>() + ": ";
    for (std::size_t length = 0; length < bytes.size(); ++length) {
      CAPTURE(length);
      T out{};
      const copper::Status typed = copper::decode(prefix(bytes, length), out);
      REQUIRE_FALSE(typed.ok());
      CHECK(typed.message().substr(0, expected_prefix.size()) == expected_prefix);
      const auto generic = copper::decode_to_json(prefix(bytes, length), schema);
      REQUIRE_FALSE(generic.ok());
      CHECK(generic.error_message() == typed.message());
    }
  };
  check_truncations(make_everything());
  check_truncations(Tiny{0x1234, true, "hi", {1, -2}, {-1, 5}, 1.0});
}

TEST_CASE("message.decode.error_messages") {
  const auto bytes = encoded(Tiny{0x1234, true, "hi", {1, -2}, {-1, 5}, 1.0});
  auto error = [](std::span<const std::uint8_t> b) {
    Tiny out;
    return std::string(copper::decode(b, out).message());
  };
  const std::string tiny = "decode copper_test::Tiny: ";
  CHECK(error(prefix(bytes, 3)) == tiny + "truncated at byte 3 in s: need 4 bytes for string length, 0 remain");
  CHECK(error(prefix(bytes, 19)) == tiny + "vector count 2 at byte 9 in v needs at least 8 bytes, 6 remain");
  CHECK(error(prefix(bytes, 22)) == tiny + "truncated at byte 22 in arr[1]: need 1 bytes for i8, 0 remain");
  CHECK(error(prefix(bytes, 27)) == tiny + "truncated at byte 23 in d: need 8 bytes for f64, 4 remain");
}

TEST_CASE("message.decode.trailing_bytes") {
  auto bytes = encoded(Tiny{});
  bytes.push_back(0);
  Tiny out;
  const copper::Status typed = copper::decode(bytes, out);
  CHECK(typed.message() == "decode copper_test::Tiny: 1 trailing bytes at byte 21");
  const auto generic = copper::decode_to_json(bytes, copper::schema_of<Tiny>());
  CHECK(generic.error_message() == typed.message());
}

TEST_CASE("message.decode.absurd_counts_rejected_before_allocating") {
  // If the count were trusted, resize() would ask for ~96 GiB and throw.
  const std::vector<std::uint8_t> bytes = {0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3};
  copper_test::Nested nested;
  const copper::Status typed = copper::decode(bytes, nested);
  CHECK(typed.message() == "decode copper_test::Nested: vector count 4294967295 at byte 0 in vv needs at least "
                           "17179869180 bytes, 3 remain");
  CHECK(nested.vv.capacity() == 0);
  CHECK(copper::decode_to_json(bytes, copper::schema_of<copper_test::Nested>()).error_message() == typed.message());

  const std::vector<std::uint8_t> string_bytes = {0xFF, 0xFF, 0xFF, 0xFF};
  copper_test::Text text;
  CHECK(copper::decode(string_bytes, text).message() ==
        "decode copper_test::Text: string length 4294967295 at byte 0 in s needs at least 4294967295 bytes, 0 remain");
}

TEST_CASE("message.decode.bad_bool") {
  auto bytes = encoded(copper_test::SampleList{{Sample{"ab", 1, true}, Sample{"", 2, false}}});
  // count(4) | "ab": 4+2, code 2, valid 1 | "": 4, code 2, valid at 19
  REQUIRE(bytes.size() == 20);
  bytes[19] = 2;
  copper_test::SampleList out;
  const copper::Status typed = copper::decode(bytes, out);
  CHECK(typed.message() ==
        "decode copper_test::SampleList: invalid bool byte 0x02 at byte 19 in samples[1].valid (expected 0 or 1)");
  const auto generic = copper::decode_to_json(bytes, copper::schema_of<copper_test::SampleList>());
  CHECK(generic.error_message() == typed.message());

  // Every true bool in Everything, including those in std::vector<bool> and
  // std::array<bool, N>, is checked; find them by corrupting each 0x01 byte.
  const auto clean = encoded(make_everything());
  std::vector<std::string> bad_bool_paths;
  for (std::size_t i = 0; i < clean.size(); ++i) {
    if (clean[i] != 1) continue;
    auto corrupt = clean;
    corrupt[i] = 0x80;
    Everything e_out;
    const copper::Status s = copper::decode(corrupt, e_out);
    // Other 0x01 bytes are parts of numbers or counts: those may decode fine.
    if (s.ok()) continue;
    CHECK(copper::decode_to_json(corrupt, copper::schema_of<Everything>()).error_message() == s.message());
    const std::string_view message = s.message();
    const auto in = message.find(" in ");
    if (message.find("invalid bool byte 0x80") != std::string_view::npos && in != std::string_view::npos) {
      bad_bool_paths.emplace_back(message.substr(in + 4, message.find(' ', in + 4) - (in + 4)));
    }
  }
  CHECK(bad_bool_paths == std::vector<std::string>{"flag", "samples[0].valid", "bits[0]", "bits[2]", "bits[3]",
                                                   "mask[1]"});
}

TEST_SUITE_END();

}  // namespace
