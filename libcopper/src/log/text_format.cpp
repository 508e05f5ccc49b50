#include "copper/log/text_format.hpp"

#include <algorithm>
#include <cstring>
#include <exception>
#include <iterator>

#include <fmt/args.h>
#include <fmt/format.h>

#include "record_parse.hpp"

namespace copper::log {
namespace {

using detail::Cursor;

std::string_view as_chars(std::span<const uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// The longest text an entry may format to. A width or precision in the
// format ("{:999999999}", 13 bytes of a string record) would otherwise make
// one entry gigabytes long: fmt allocates all of it.
constexpr size_t kMaxText = 64 * 1024;

struct TextTooLong {};

// Appends to a string and throws TextTooLong past kMaxText, so fmt stops
// padding after kMaxText characters instead of allocating the whole width.
class BoundedAppender {
 public:
  using iterator_category = std::output_iterator_tag;
  using value_type = void;
  using difference_type = std::ptrdiff_t;
  using pointer = void;
  using reference = void;

  explicit BoundedAppender(std::string& out) : out_(&out) {}
  BoundedAppender& operator=(char c) {
    if (out_->size() >= kMaxText) throw TextTooLong{};
    out_->push_back(c);
    return *this;
  }
  BoundedAppender& operator*() { return *this; }
  BoundedAppender& operator++() { return *this; }
  BoundedAppender operator++(int) { return *this; }

 private:
  std::string* out_;
};

}  // namespace

Result<std::string> format_text(std::string_view format, uint8_t arg_count, std::span<const uint8_t> args) {
  fmt::dynamic_format_arg_store<fmt::format_context> store;
  store.reserve(arg_count, 0);  // strings are pushed as views into `args`: nothing is copied
  Cursor in(args);
  for (unsigned i = 0; i < arg_count; ++i) {
    const uint64_t at = in.position();
    uint8_t tag = 0;
    if (!in.read(tag)) return Status::error(fmt::format("argument {}: missing (args end at byte {})", i, at));
    bool ok = true;
    switch (ArgTag(tag)) {
      case ArgTag::boolean: {
        uint8_t v = 0;
        ok = in.read(v);
        if (ok && v > 1) return Status::error(fmt::format("argument {}: bool byte {} is neither 0 nor 1", i, v));
        if (ok) store.push_back(v == 1);
        break;
      }
      case ArgTag::i64: {
        int64_t v = 0;
        ok = in.read(v);
        if (ok) store.push_back(v);
        break;
      }
      case ArgTag::u64: {
        uint64_t v = 0;
        ok = in.read(v);
        if (ok) store.push_back(v);
        break;
      }
      case ArgTag::f64: {
        double v = 0;
        ok = in.read(v);
        if (ok) store.push_back(v);
        break;
      }
      case ArgTag::f32: {
        float v = 0;
        ok = in.read(v);
        if (ok) store.push_back(v);
        break;
      }
      case ArgTag::character: {
        uint8_t v = 0;
        ok = in.read(v);
        if (ok) store.push_back(char(v));
        break;
      }
      case ArgTag::string: {
        uint32_t length = 0;
        std::span<const uint8_t> text;
        ok = in.read(length) && in.take(length, text);
        if (ok) store.push_back(fmt::string_view(as_chars(text).data(), text.size()));
        break;
      }
      default:
        return Status::error(fmt::format("argument {} at byte {}: unknown tag {}", i, at, tag));
    }
    if (!ok) return Status::error(fmt::format("argument {} at byte {}: truncated value", i, at));
  }
  if (in.remaining() != 0) {
    return Status::error(fmt::format("{} bytes left after the {} arguments", in.remaining(), arg_count));
  }
  std::string text;
  try {
    fmt::vformat_to(BoundedAppender(text), format, store);
    return text;
  } catch (const TextTooLong&) {
    return Status::error(fmt::format("format \"{}\": the text would be longer than {} bytes", format, kMaxText));
  } catch (const fmt::format_error& e) {
    return Status::error(fmt::format("format \"{}\": {}", format, e.what()));
  } catch (const std::exception& e) {
    return Status::error(fmt::format("format \"{}\": {}", format, e.what()));
  }
}

}  // namespace copper::log
