#include <doctest/doctest.h>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <climits>
#include <memory>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "copper/log/text_format.hpp"
#include "copper/text_log.hpp"
#include "log/layout.hpp"
#include "log/record_parse.hpp"

using copper::Context;
using copper::TextLogBuffer;
using copper::log::ArgTag;
using copper::log::TextLevel;

namespace {

Context make_context(TextLogBuffer* buffer, uint64_t cl_id = 42, uint32_t task_index = 3) {
  return copper::detail::ContextAccess::make(cl_id, 0, task_index, {}, nullptr, buffer);
}

// A text record's payload: the entry count, then the entries (what the
// writer stores for a copperlist's buffers).
std::vector<uint8_t> text_payload(std::span<const uint8_t> entries, uint32_t count) {
  // Byte by byte: g++ 12 at -O3 warns falsely on memcpy into a fresh vector.
  std::vector<uint8_t> payload(copper::log::kTextCountSize + entries.size());
  for (size_t i = 0; i < copper::log::kTextCountSize; ++i) payload[i] = static_cast<uint8_t>(count >> (8 * i));
  for (size_t i = 0; i < entries.size(); ++i) payload[copper::log::kTextCountSize + i] = entries[i];
  return payload;
}

copper::Status parse_text(std::span<const uint8_t> payload) {
  std::vector<copper::log::TextEntry> entries;
  return copper::log::detail::parse_text(payload, entries);
}

// The buffer's entries as the reader parses them; the entries' args point
// into `payload`, which the shared_ptr keeps alive with every copy.
struct ParsedText : std::vector<copper::log::TextEntry> {
  std::shared_ptr<const std::vector<uint8_t>> payload;
};

ParsedText entries_of(const TextLogBuffer& buffer) {
  ParsedText parsed;
  parsed.payload = std::make_shared<const std::vector<uint8_t>>(text_payload(buffer.bytes(), buffer.entry_count()));
  const copper::Status status = copper::log::detail::parse_text(*parsed.payload, parsed);
  REQUIRE_MESSAGE(status.ok(), status.message());
  return parsed;
}

// Rebuilds the text of each entry in the buffer, as copper-log text would.
std::vector<std::string> texts_of(const TextLogBuffer& buffer) {
  std::vector<std::string> texts;
  for (const auto& e : entries_of(buffer)) {
    const auto& s = copper::text_string(e.string_id);
    auto text = copper::log::format_text(s.format, e.arg_count, e.args);
    REQUIRE_MESSAGE(text.ok(), text.error_message());
    texts.push_back(text.value());
  }
  return texts;
}

// Each call of log_here() goes through the same call site.
uint32_t log_here(TextLogBuffer& buffer, int value) {
  const Context ctx = make_context(&buffer);
  CU_DEBUG(ctx, "value {}", value);
  return entries_of(buffer).back().string_id;
}

}  // namespace

TEST_CASE("text_log.macro.encodes_entry_layout") {
  TextLogBuffer buffer;
  const Context ctx = make_context(&buffer, 0x0102030405060708ull, 7);
  const int32_t x = -2;
  const uint16_t y = 513;
  const double z = 0.5;
  const uint32_t line = __LINE__ + 1;
  CU_WARN(ctx, "x={} y={} z={}", x, y, z);

  REQUIRE(buffer.entry_count() == 1);
  const auto entries = entries_of(buffer);
  const uint32_t id = entries[0].string_id;
  const auto& s = copper::text_string(id);
  CHECK(s.id == id);
  CHECK(s.level == TextLevel::warn);
  CHECK(s.format == "x={} y={} z={}");
  CHECK(s.file.find("text_log_test.cpp") != std::string_view::npos);
  CHECK(s.line == line);

  std::vector<uint8_t> expected = {
      0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,    // cl_id
      7,    0,    0,    0,                                // task_index
      uint8_t(id), uint8_t(id >> 8), uint8_t(id >> 16), uint8_t(id >> 24),
      uint8_t(TextLevel::warn),                           // level
      3,                                                  // arg_count
      27,   0,                                            // args_length: 3 x (tag + 8)
      uint8_t(ArgTag::i64), 0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
      uint8_t(ArgTag::u64), 0x01, 0x02, 0, 0, 0, 0, 0, 0,
      uint8_t(ArgTag::f64), 0, 0, 0, 0, 0, 0, 0xE0, 0x3F,
  };
  const auto bytes = buffer.bytes();
  CHECK(std::vector<uint8_t>(bytes.begin(), bytes.end()) == expected);
  CHECK(texts_of(buffer) == std::vector<std::string>{"x=-2 y=513 z=0.5"});
}

TEST_CASE("text_log.macro.every_level_and_no_args") {
  TextLogBuffer buffer;
  const Context ctx = make_context(&buffer);
  CU_TRACE(ctx, "t");
  CU_DEBUG(ctx, "d");
  CU_INFO(ctx, "i");
  CU_WARN(ctx, "w");
  CU_ERROR(ctx, "e");
  const auto entries = entries_of(buffer);
  REQUIRE(entries.size() == 5);
  const TextLevel levels[] = {TextLevel::trace, TextLevel::debug, TextLevel::info, TextLevel::warn, TextLevel::error};
  for (size_t i = 0; i < 5; ++i) {
    CHECK(entries[i].level == levels[i]);
    CHECK(copper::text_string(entries[i].string_id).level == levels[i]);
    CHECK(entries[i].arg_count == 0);
    CHECK(entries[i].args.empty());
    CHECK(entries[i].cl_id == 42);
    CHECK(entries[i].task_index == 3);
  }
  CHECK(texts_of(buffer) == std::vector<std::string>{"t", "d", "i", "w", "e"});
  CHECK(buffer.bytes().size() == 5 * copper::log::TextEntryHeader::kSize);
}

TEST_CASE("text_log.format.round_trips_every_arg_type") {
  TextLogBuffer buffer(8192);
  const Context ctx = make_context(&buffer);

  const bool b = true;
  const int8_t i8 = -128;
  const uint8_t u8 = 255;
  const short i16 = -32768;
  const unsigned short u16 = 65535;
  const int i32 = INT_MIN;
  const unsigned u32 = UINT_MAX;
  const long long i64 = LLONG_MIN;
  const unsigned long long u64 = ULLONG_MAX;
  const long l = -7;
  const size_t z = 12345;
  const signed char sc = -5;
  const float f = 0.1f;
  const double d = 1.0 / 3.0;
  const char c = 'Q';
  const char* cs = "c-string";
  char mutable_cs[] = "mutable";
  char* mcs = mutable_cs;
  const std::string str = "std::string";
  const std::string_view sv = "string_view";
  const std::string empty;

  CU_INFO(ctx, "{} {}", b, false);
  CU_INFO(ctx, "{} {} {} {} {} {} {} {}", i8, u8, i16, u16, i32, u32, i64, u64);
  CU_INFO(ctx, "{} {} {}", l, z, sc);
  CU_INFO(ctx, "{} {} {:.3f} {:e}", f, d, f, d);
  CU_INFO(ctx, "[{}] [{:>4}] [{}]", c, c, 'x');
  CU_INFO(ctx, "{} {} {} {} [{}] {}", cs, mcs, str, sv, empty, "literal");
  CU_INFO(ctx, "{:#x} {:08b} {:+d}", u32, u8, i16);
  CU_INFO(ctx, "{1} {0}", i32, str);

  const std::vector<std::string> expected = {
      fmt::format("{} {}", b, false),
      fmt::format("{} {} {} {} {} {} {} {}", i8, u8, i16, u16, i32, u32, i64, u64),
      fmt::format("{} {} {}", l, z, sc),
      fmt::format("{} {} {:.3f} {:e}", f, d, f, d),
      fmt::format("[{}] [{:>4}] [{}]", c, c, 'x'),
      fmt::format("{} {} {} {} [{}] {}", cs, mcs, str, sv, empty, "literal"),
      fmt::format("{:#x} {:08b} {:+d}", u32, u8, i16),
      fmt::format("{1} {0}", i32, str),
  };
  CHECK(buffer.dropped() == 0);
  CHECK(texts_of(buffer) == expected);
  // f32 stays f32: the shortest representation of 0.1f, not of (double)0.1f.
  CHECK(expected[3].substr(0, 4) == "0.1 ");

  // The tags chosen for each kind of argument.
  const auto entries = entries_of(buffer);
  CHECK(entries[0].args[0] == uint8_t(ArgTag::boolean));
  CHECK(entries[1].args[0] == uint8_t(ArgTag::i64));
  CHECK(entries[1].args[9] == uint8_t(ArgTag::u64));
  CHECK(entries[3].args[0] == uint8_t(ArgTag::f32));
  CHECK(entries[3].args[5] == uint8_t(ArgTag::f64));
  CHECK(entries[4].args[0] == uint8_t(ArgTag::character));
  CHECK(entries[5].args[0] == uint8_t(ArgTag::string));
}

TEST_CASE("text_log.macro.null_c_string_is_marked") {
  TextLogBuffer buffer;
  const Context ctx = make_context(&buffer);
  const char* none = nullptr;
  CU_INFO(ctx, "name={}", none);
  CHECK(texts_of(buffer) == std::vector<std::string>{"name=(null)"});
}

TEST_CASE("text_log.table.same_call_site_registers_once") {
  TextLogBuffer buffer;
  const size_t before = copper::text_string_count();
  const uint32_t first = log_here(buffer, 1);
  const size_t after_first = copper::text_string_count();
  const uint32_t second = log_here(buffer, 2);
  for (int i = 0; i < 10; ++i) log_here(buffer, i);
  CHECK(first == second);
  CHECK(copper::text_string_count() == after_first);
  CHECK(after_first <= before + 1);  // another test may have used the site first
}

TEST_CASE("text_log.table.different_call_sites_differ") {
  TextLogBuffer buffer;
  const Context ctx = make_context(&buffer);
  CU_INFO(ctx, "same {}", 1);
  CU_INFO(ctx, "same {}", 1);
  CU_ERROR(ctx, "other {}", 1);
  const auto entries = entries_of(buffer);
  REQUIRE(entries.size() == 3);
  CHECK(entries[0].string_id != entries[1].string_id);
  CHECK(entries[1].string_id != entries[2].string_id);
  CHECK(entries[0].string_id != entries[2].string_id);
  CHECK(copper::text_string(entries[0].string_id).line + 1 == copper::text_string(entries[1].string_id).line);
}

TEST_CASE("text_log.table.register_dedups_identical_content") {
  using copper::register_text_string;
  const uint32_t a = register_text_string(TextLevel::info, "dedup.cpp", 1, "a {}");
  CHECK(register_text_string(TextLevel::info, "dedup.cpp", 1, "a {}") == a);
  CHECK(register_text_string(TextLevel::warn, "dedup.cpp", 1, "a {}") != a);
  CHECK(register_text_string(TextLevel::info, "dedup.cpp", 2, "a {}") != a);
  CHECK(register_text_string(TextLevel::info, "dedup.cpp", 1, "b {}") != a);
  CHECK(register_text_string(TextLevel::info, "other.cpp", 1, "a {}") != a);
}

TEST_CASE("text_log.table.concurrent_registration_is_consistent") {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 300;  // crosses several chunk boundaries
  std::vector<std::vector<uint32_t>> ids(kThreads);
  std::vector<std::string> formats;
  for (int i = 0; i < kPerThread; ++i) formats.push_back(fmt::format("concurrent {} {{}}", i));
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        ids[size_t(t)].push_back(copper::register_text_string(TextLevel::debug, "concurrent.cpp", uint32_t(i),
                                                              formats[size_t(i)]));
        // A reader walking the table while others append.
        const size_t n = copper::text_string_count();
        for (size_t id = n > 8 ? n - 8 : 0; id < n; ++id) REQUIRE(copper::text_string(id).id == id);
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 1; t < kThreads; ++t) CHECK(ids[size_t(t)] == ids[0]);
  for (int i = 0; i < kPerThread; ++i) {
    const auto& s = copper::text_string(ids[0][size_t(i)]);
    CHECK(s.format == formats[size_t(i)]);
    CHECK(s.line == uint32_t(i));
    CHECK(s.file == "concurrent.cpp");
  }
}

TEST_CASE("text_log.buffer.full_buffer_drops_and_counts") {
  // Room for exactly two entries with one i64 argument (20 + 9 bytes each).
  TextLogBuffer buffer(2 * 29 + 5);
  const Context ctx = make_context(&buffer);
  for (int i = 0; i < 5; ++i) CU_INFO(ctx, "i={}", i);
  CHECK(buffer.entry_count() == 2);
  CHECK(buffer.dropped() == 3);
  CHECK(buffer.bytes().size() == 58);
  CHECK(texts_of(buffer) == std::vector<std::string>{"i=0", "i=1"});
  // A smaller entry still fits in what is left.
  CU_INFO(ctx, "none");
  CHECK(buffer.entry_count() == 2);
  CU_INFO(ctx, "x");
  CHECK(buffer.dropped() == 5);

  buffer.clear();
  CHECK(buffer.entry_count() == 0);
  CHECK(buffer.dropped() == 0);
  CHECK(buffer.bytes().empty());
  CU_INFO(ctx, "i={}", 9);
  CHECK(texts_of(buffer) == std::vector<std::string>{"i=9"});
}

TEST_CASE("text_log.buffer.oversized_args_drop_and_count") {
  TextLogBuffer buffer(1 << 20);
  const Context ctx = make_context(&buffer);
  const std::string huge(70000, 'h');
  CU_INFO(ctx, "{}", huge);
  CHECK(buffer.entry_count() == 0);
  CHECK(buffer.dropped() == 1);
  CHECK(buffer.bytes().empty());
  // The largest string that still fits the u16 args_length.
  const std::string largest(0xFFFF - 5, 'l');
  CU_INFO(ctx, "{}", largest);
  CHECK(buffer.entry_count() == 1);
  CHECK(texts_of(buffer) == std::vector<std::string>{largest});
}

TEST_CASE("text_log.buffer.copy_keeps_capacity") {
  TextLogBuffer buffer(100);
  const Context ctx = make_context(&buffer);
  CU_INFO(ctx, "a");
  const TextLogBuffer copy = buffer;
  CHECK(copy.capacity() == 100);
  CHECK(copy.entry_count() == 1);
  CHECK(std::vector<uint8_t>(copy.bytes().begin(), copy.bytes().end()) ==
        std::vector<uint8_t>(buffer.bytes().begin(), buffer.bytes().end()));
}

TEST_CASE("text_log.macro.null_buffer_is_noop") {
  const Context ctx = make_context(nullptr);
  int evaluated = 0;
  const size_t before = copper::text_string_count();
  CU_INFO(ctx, "never {}", ++evaluated);
  CHECK(evaluated == 0);  // arguments are not evaluated when logging is off
  CHECK(copper::text_string_count() == before);
}

TEST_CASE("text_log.format.malformed_args_are_errors") {
  using copper::log::format_text;
  auto bytes = [](std::initializer_list<uint8_t> b) { return std::vector<uint8_t>(b); };
  const auto i64_one = bytes({uint8_t(ArgTag::i64), 1, 0, 0, 0, 0, 0, 0, 0});
  REQUIRE(format_text("{}", 1, i64_one).value() == "1");

  // Truncated value, at every length short of complete.
  for (size_t n = 0; n < i64_one.size(); ++n) {
    auto r = format_text("{}", 1, std::span(i64_one).first(n));
    CHECK_FALSE(r.ok());
  }
  CHECK_FALSE(format_text("{}", 2, i64_one).ok());  // fewer args than announced
  CHECK_FALSE(format_text("{}", 0, i64_one).ok());  // trailing bytes
  CHECK_FALSE(format_text("{}", 1, bytes({0, 1})).ok());   // tag 0
  CHECK_FALSE(format_text("{}", 1, bytes({99, 1})).ok());  // unknown tag
  CHECK_FALSE(format_text("{}", 1, bytes({uint8_t(ArgTag::boolean), 2})).ok());
  // A string whose length runs past the end, including a huge length.
  CHECK_FALSE(format_text("{}", 1, bytes({uint8_t(ArgTag::string), 4, 0, 0, 0, 'a', 'b'})).ok());
  CHECK_FALSE(format_text("{}", 1, bytes({uint8_t(ArgTag::string), 0xFF, 0xFF, 0xFF, 0xFF, 'a'})).ok());
  CHECK_FALSE(format_text("{}", 1, bytes({uint8_t(ArgTag::string), 1, 0})).ok());
  CHECK(format_text("[{}]", 1, bytes({uint8_t(ArgTag::string), 2, 0, 0, 0, 'o', 'k'})).value() == "[ok]");
  CHECK(format_text("{}", 1, bytes({uint8_t(ArgTag::f32), 0, 0, 0xC0, 0x3F})).value() == "1.5");
  CHECK(format_text("{}", 1, bytes({uint8_t(ArgTag::character), 'z'})).value() == "z");
}

TEST_CASE("text_log.format.bad_format_is_error") {
  using copper::log::format_text;
  const std::vector<uint8_t> one_string = {uint8_t(ArgTag::string), 1, 0, 0, 0, 's'};
  const std::vector<uint8_t> one_int = {uint8_t(ArgTag::i64), 1, 0, 0, 0, 0, 0, 0, 0};
  CHECK_FALSE(format_text("{", 1, one_int).ok());
  CHECK_FALSE(format_text("{} {}", 1, one_int).ok());   // argument missing
  CHECK_FALSE(format_text("{:d}", 1, one_string).ok());  // spec does not fit the type
  CHECK_FALSE(format_text("{:q}", 1, one_int).ok());
  CHECK_FALSE(format_text("{0} {}", 1, one_int).ok());   // manual then automatic indexing
  auto r = format_text("{} {}", 1, one_int);
  CHECK(r.error_message().find("{} {}") != std::string_view::npos);
  CHECK(format_text("no args {{}}", 0, {}).value() == "no args {}");
  // Unused arguments are not an error, as in fmt.
  CHECK(format_text("x", 1, one_int).value() == "x");
  CHECK(format_text("", 1, one_int).value().empty());
}

TEST_CASE("text_log.parse.entries_are_bounds_checked") {
  TextLogBuffer buffer;
  const Context ctx = make_context(&buffer);
  CU_INFO(ctx, "a={}", 1);
  CU_INFO(ctx, "b={} {}", 2, "two");
  const auto all = buffer.bytes();
  REQUIRE(parse_text(text_payload(all, 2)).ok());
  CHECK(entries_of(buffer)[1].arg_count == 2);

  CHECK_FALSE(parse_text(text_payload(all, 1)).ok());  // bytes left over
  CHECK_FALSE(parse_text(text_payload(all, 3)).ok());  // one missing
  CHECK(parse_text(text_payload({}, 0)).ok());
  for (size_t n = 0; n < all.size(); ++n) CHECK_FALSE(parse_text(text_payload(all.first(n), 2)).ok());

  using copper::log::TextEntryHeader;
  std::vector<uint8_t> bad_level(all.begin(), all.end());
  bad_level[TextEntryHeader::kLevel] = 5;
  CHECK_FALSE(parse_text(text_payload(bad_level, 2)).ok());

  std::vector<uint8_t> long_args(all.begin(), all.end());
  copper::log::store_le<uint16_t>(long_args.data() + TextEntryHeader::kArgsLength, 0xFFFF);
  CHECK_FALSE(parse_text(text_payload(long_args, 2)).ok());

  // A damaged count cannot make it over-read; a payload too short for it
  // is refused.
  CHECK_FALSE(parse_text(text_payload(all, 0xFFFFFFFF)).ok());
  const std::vector<uint8_t> whole = text_payload(all, 2);
  CHECK_FALSE(parse_text(std::span(whole).first(3)).ok());
}

TEST_CASE("text_log.string_record.round_trips_and_rejects_damage") {
  const uint32_t id = copper::register_text_string(TextLevel::error, "src/record.cpp", 77, "value {} out of {}");
  const auto& s = copper::text_string(id);
  // Encoded into an array: g++ cannot see that a vector's data() is not null.
  std::array<uint8_t, 128> bytes{};
  const size_t size = copper::log::string_record_size(s.file, s.format);
  REQUIRE(size <= bytes.size());
  copper::log::encode_string_record(bytes.data(), s.id, s.level, s.line, s.file, s.format);
  const std::vector<uint8_t> payload(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(size));
  // u32 id, u8 level, u32 line, u16 file length, file, u32 format length, format (docs/log-format.md)
  CHECK(payload.size() == 15 + s.file.size() + s.format.size());
  CHECK(payload[4] == uint8_t(TextLevel::error));

  using copper::log::detail::parse_string;
  copper::log::StringEntry back;
  REQUIRE(parse_string(payload, back).ok());
  CHECK(back.id == id);
  CHECK(back.level == TextLevel::error);
  CHECK(back.line == 77);
  CHECK(back.file == "src/record.cpp");
  CHECK(back.format == "value {} out of {}");

  for (size_t n = 0; n < payload.size(); ++n) CHECK_FALSE(parse_string(std::span(payload).first(n), back).ok());
  auto longer = payload;
  longer.push_back(0);
  CHECK_FALSE(parse_string(longer, back).ok());
  auto bad_level = payload;
  bad_level[4] = 9;
  CHECK_FALSE(parse_string(bad_level, back).ok());
}

// Found while fuzzing the reader: a string record's format may ask for any
// width or precision, and "{:999999999}" made one entry a gigabyte of
// spaces (fmt allocates it all; copper-log text ran out of memory).
TEST_CASE("text_log.regression.huge_width_in_a_format_is_an_error_not_a_gigabyte") {
  using copper::log::format_text;
  const std::vector<uint8_t> i64_one = {uint8_t(ArgTag::i64), 1, 0, 0, 0, 0, 0, 0, 0};
  const std::vector<uint8_t> f64_one = {uint8_t(ArgTag::f64), 0, 0, 0, 0, 0, 0, 0xF0, 0x3F};
  const auto wide = format_text("{:999999999}", 1, i64_one);
  REQUIRE_FALSE(wide.ok());
  CHECK(std::string(wide.error_message()).find("longer than 65536 bytes") != std::string::npos);
  CHECK_FALSE(format_text("{:.999999999f}", 1, f64_one).ok());
  CHECK_FALSE(format_text("{:65537}", 1, i64_one).ok());
  // Up to the bound, widths work as fmt's do.
  const auto widest = format_text("{:65536}", 1, i64_one);
  REQUIRE(widest.ok());
  CHECK(widest.value().size() == 65536);
  CHECK(widest.value().back() == '1');
  CHECK(format_text("{:.3f}", 1, f64_one).value() == "1.000");
}
