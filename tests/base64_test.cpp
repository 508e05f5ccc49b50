// Base64 as exports write byte arrays.
#include <doctest/doctest.h>

#include <random>
#include <vector>

#include "copper/base64.hpp"

namespace {
std::vector<uint8_t> bytes_of(std::string_view text) { return {text.begin(), text.end()}; }
}  // namespace

TEST_CASE("base64.rfc4648_vectors") {
  CHECK(copper::base64_encode(bytes_of("")) == "");
  CHECK(copper::base64_encode(bytes_of("f")) == "Zg==");
  CHECK(copper::base64_encode(bytes_of("fo")) == "Zm8=");
  CHECK(copper::base64_encode(bytes_of("foo")) == "Zm9v");
  CHECK(copper::base64_encode(bytes_of("foob")) == "Zm9vYg==");
  CHECK(copper::base64_encode(bytes_of("fooba")) == "Zm9vYmE=");
  CHECK(copper::base64_encode(bytes_of("foobar")) == "Zm9vYmFy");
  CHECK(copper::base64_encode(std::vector<uint8_t>{0xFF, 0xFE, 0x00}) == "//4A");
  CHECK(*copper::base64_decode("Zm9vYmE=") == bytes_of("fooba"));
}

TEST_CASE("base64.round_trips_every_length") {
  std::mt19937 random(7);
  for (size_t n = 0; n < 70; ++n) {
    std::vector<uint8_t> data(n);
    for (auto& b : data) b = static_cast<uint8_t>(random());
    const auto decoded = copper::base64_decode(copper::base64_encode(data));
    REQUIRE(decoded.ok());
    CHECK(*decoded == data);
  }
}

TEST_CASE("base64.rejects_malformed_text") {
  CHECK(copper::base64_decode("Zm9").error_message().find("multiple of 4") != std::string_view::npos);
  CHECK(copper::base64_decode("Zm!v").error_message().find("invalid character at 2") != std::string_view::npos);
  CHECK_FALSE(copper::base64_decode("Z=9v").ok());
  CHECK_FALSE(copper::base64_decode("====").ok());
}
