#include "copper/log/text_format.hpp"

#include <algorithm>
#include <cstring>
#include <exception>

#include <fmt/args.h>
#include <fmt/format.h>

namespace copper::log {
namespace {

// A cursor that refuses to step past the end; every read goes through it.
class Cursor {
 public:
  explicit Cursor(std::span<const uint8_t> bytes) : bytes_(bytes) {}

  size_t remaining() const { return bytes_.size() - pos_; }
  size_t position() const { return pos_; }

  template <class T>
  bool read(T& out) {
    if (remaining() < sizeof(T)) return false;
    out = load_le<T>(bytes_.data() + pos_);
    pos_ += sizeof(T);
    return true;
  }

  bool take(size_t n, std::span<const uint8_t>& out) {
    if (remaining() < n) return false;
    out = bytes_.subspan(pos_, n);
    pos_ += n;
    return true;
  }

 private:
  std::span<const uint8_t> bytes_;
  size_t pos_ = 0;
};

std::string_view as_chars(std::span<const uint8_t> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

constexpr uint8_t kMaxLevel = uint8_t(TextLevel::error);

}  // namespace

Result<std::vector<TextEntryView>> parse_text_entries(std::span<const uint8_t> bytes, uint32_t expected_count) {
  std::vector<TextEntryView> entries;
  // The count comes from the file: cap the reservation by what the bytes
  // could possibly hold, so a damaged count cannot ask for gigabytes.
  entries.reserve(std::min<size_t>(expected_count, bytes.size() / detail::kTextEntryHeaderSize));
  Cursor in(bytes);
  for (uint32_t i = 0; i < expected_count; ++i) {
    const size_t at = in.position();
    TextEntryView e;
    uint8_t level = 0;
    uint16_t args_length = 0;
    if (!(in.read(e.cl_id) && in.read(e.task_index) && in.read(e.string_id) && in.read(level) &&
          in.read(e.arg_count) && in.read(args_length))) {
      return Status::error(fmt::format("text entry {} at byte {}: truncated header", i, at));
    }
    if (level > kMaxLevel) {
      return Status::error(fmt::format("text entry {} at byte {}: unknown level {}", i, at, level));
    }
    e.level = TextLevel(level);
    if (!in.take(args_length, e.args)) {
      return Status::error(fmt::format("text entry {} at byte {}: args_length {} exceeds the {} bytes left", i,
                                       at, args_length, in.remaining()));
    }
    entries.push_back(e);
  }
  if (in.remaining() != 0) {
    return Status::error(
        fmt::format("{} bytes left after the {} text entries announced", in.remaining(), expected_count));
  }
  return entries;
}

Result<std::vector<TextEntryView>> parse_text_payload(std::span<const uint8_t> payload) {
  Cursor in(payload);
  uint32_t count = 0;
  if (!in.read(count)) return Status::error("text payload shorter than its entry count");
  return parse_text_entries(payload.subspan(sizeof(uint32_t)), count);
}

Result<std::string> format_text(std::string_view format, uint8_t arg_count, std::span<const uint8_t> args) {
  fmt::dynamic_format_arg_store<fmt::format_context> store;
  store.reserve(arg_count, 0);  // strings are pushed as views into `args`: nothing is copied
  Cursor in(args);
  for (unsigned i = 0; i < arg_count; ++i) {
    const size_t at = in.position();
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
  try {
    return fmt::vformat(format, store);
  } catch (const fmt::format_error& e) {
    return Status::error(fmt::format("format \"{}\": {}", format, e.what()));
  } catch (const std::exception& e) {
    return Status::error(fmt::format("format \"{}\": {}", format, e.what()));
  }
}

size_t string_record_size(const ::copper::TextString& s) { return 4 + 1 + 4 + 2 + s.file.size() + 4 + s.format.size(); }

void encode_string_record(const ::copper::TextString& s, uint8_t* out) {
  store_le<uint32_t>(out, s.id);
  out[4] = uint8_t(s.level);
  store_le<uint32_t>(out + 5, s.line);
  // register_text_string keeps file within a u16.
  store_le<uint16_t>(out + 9, uint16_t(s.file.size()));
  uint8_t* p = out + 11;
  if (!s.file.empty()) std::memcpy(p, s.file.data(), s.file.size());
  p += s.file.size();
  store_le<uint32_t>(p, uint32_t(s.format.size()));
  p += 4;
  if (!s.format.empty()) std::memcpy(p, s.format.data(), s.format.size());
}

Result<::copper::TextString> parse_string_record(std::span<const uint8_t> payload) {
  Cursor in(payload);
  ::copper::TextString s;
  uint8_t level = 0;
  uint16_t file_length = 0;
  uint32_t format_length = 0;
  std::span<const uint8_t> file;
  std::span<const uint8_t> format;
  if (!(in.read(s.id) && in.read(level) && in.read(s.line) && in.read(file_length) && in.take(file_length, file) &&
        in.read(format_length) && in.take(format_length, format))) {
    return Status::error("string record truncated");
  }
  if (level > kMaxLevel) return Status::error(fmt::format("string record {}: unknown level {}", s.id, level));
  if (in.remaining() != 0) {
    return Status::error(fmt::format("string record {}: {} bytes after the format", s.id, in.remaining()));
  }
  s.level = TextLevel(level);
  s.file = as_chars(file);
  s.format = as_chars(format);
  return s;
}

}  // namespace copper::log
