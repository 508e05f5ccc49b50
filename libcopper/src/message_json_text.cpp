// MessageDecoder::append_json: an encoded message straight to JSON text,
// for the exports and the live view, which only want the text. Building
// the nlohmann object first (decode) and then dumping it spent most of an
// MCAP export's time in allocation and nlohmann's float formatting. The
// walk mirrors message.cpp's JsonBuilder step for step, so that it fails
// where and as that one fails; the tests compare the two on every corpus
// message.

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>
#include <string_view>

#include "copper/base64.hpp"
#include "copper/message.hpp"
#include "json_text_parts.hpp"
#include "message_schema_node.hpp"

namespace copper {
namespace detail {

// Branch-free so that the compiler vectorises it.
bool needs_no_escaping(std::string_view text) {
  unsigned plain = 1;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    plain &= static_cast<unsigned>(static_cast<unsigned char>(byte - 0x20) < 0x5F) & (byte != '"') & (byte != '\\');
  }
  return plain != 0;
}

void append_float_text(std::string& out, double value) {
  if (!std::isfinite(value)) {
    out += "null";
    return;
  }
  char text[32];
  char* end = std::to_chars(text, text + sizeof text, value).ptr;
  out.append(text, end);
  if (std::none_of(text, end, [](char c) { return c == '.' || c == 'e'; })) out += ".0";
}

}  // namespace detail

namespace {

using detail::SchemaKind;
using detail::SchemaNode;

// Plain ASCII as it is; anything else through nlohmann's own escaping,
// with the replace handler (invalid UTF-8 becomes U+FFFD), as the tools
// dump JSON.
void append_string(std::string& out, std::string_view text) {
  if (detail::needs_no_escaping(text)) {
    out += '"';
    out += text;
    out += '"';
    return;
  }
  nlohmann::detail::serializer<nlohmann::json> serializer(nlohmann::detail::output_adapter<char, std::string>(out), ' ',
                                                          nlohmann::json::error_handler_t::replace);
  serializer.dump(nlohmann::json(std::string(text)), false, false, 0);
}

template <class T>
void append_integer(std::string& out, T value) {
  char text[24];
  char* end = std::to_chars(text, text + sizeof text, value).ptr;
  out.append(text, end);
}

class JsonTextWriter {
 public:
  JsonTextWriter(detail::Reader& reader, BytesAs bytes_as, std::string& out)
      : reader_(reader), bytes_as_(bytes_as), out_(out) {}

  // `in_array`: the value is an array's element, where an omitted run of
  // bytes is a null.
  bool write(const SchemaNode& node, bool in_array = false) {
    switch (node.kind) {
      case SchemaKind::boolean: return write_bool();
      case SchemaKind::i8: return write_integer<std::int8_t, std::int64_t>();
      case SchemaKind::i16: return write_integer<std::int16_t, std::int64_t>();
      case SchemaKind::i32: return write_integer<std::int32_t, std::int64_t>();
      case SchemaKind::i64: return write_integer<std::int64_t, std::int64_t>();
      case SchemaKind::u8: return write_integer<std::uint8_t, std::uint64_t>();
      case SchemaKind::u16: return write_integer<std::uint16_t, std::uint64_t>();
      case SchemaKind::u32: return write_integer<std::uint32_t, std::uint64_t>();
      case SchemaKind::u64: return write_integer<std::uint64_t, std::uint64_t>();
      case SchemaKind::f32: return write_float<float>();
      case SchemaKind::f64: return write_float<double>();
      case SchemaKind::string: return write_string();
      case SchemaKind::vector: {
        std::uint32_t count = 0;
        if (!reader_.read_count(count, node.children[0].min_size, "vector count")) return false;
        return write_elements(node.children[0], count, in_array);
      }
      case SchemaKind::array: return write_elements(node.children[0], node.length, in_array);
      case SchemaKind::structure: return write_struct(node);
    }
    return false;
  }

 private:
  bool write_bool() {
    bool value = false;
    if (!reader_.read(value)) return false;
    out_ += value ? "true" : "false";
    return true;
  }

  template <class T, class Wide>
  bool write_integer() {
    T value{};
    if (!reader_.read(value)) return false;
    append_integer(out_, static_cast<Wide>(value));
    return true;
  }

  template <class T>
  bool write_float() {
    T value{};
    if (!reader_.read(value)) return false;
    detail::append_float_text(out_, static_cast<double>(value));
    return true;
  }

  bool write_string() {
    std::uint32_t length = 0;
    if (!reader_.read_count(length, 1, "string length")) return false;
    const std::uint8_t* p = reader_.take(length, "string bytes");
    append_string(out_, {reinterpret_cast<const char*>(p), length});
    return true;
  }

  // Whether a value of `node` is left out of its struct: a run of bytes
  // under BytesAs::omitted, known from the schema alone (a run too short
  // to omit fails the message).
  bool omitted(const SchemaNode& node) const {
    return bytes_as_ == BytesAs::omitted && (node.kind == SchemaKind::vector || node.kind == SchemaKind::array) &&
           node.children[0].kind == SchemaKind::u8;
  }

  // A run of bytes: base64 text, or nothing when omitted (null inside an array).
  bool write_bytes(std::size_t count, bool in_array) {
    const std::uint8_t* p = reader_.take(count, "u8");
    if (p == nullptr) return false;
    if (bytes_as_ == BytesAs::omitted) {
      if (in_array) out_ += "null";
      return true;
    }
    out_ += '"';
    base64_append(out_, {p, count});
    out_ += '"';
    return true;
  }

  bool write_elements(const SchemaNode& element, std::size_t count, bool in_array) {
    if (element.kind == SchemaKind::u8 && bytes_as_ != BytesAs::numbers) {
      // Short input: fall through so the error names the element, as decode() does.
      if (count <= reader_.remaining()) return write_bytes(count, in_array);
    }
    out_ += '[';
    for (std::size_t i = 0; i < count; ++i) {
      if (i != 0) out_ += ',';
      if (!write(element, true)) {
        reader_.add_index(i);
        return false;
      }
    }
    out_ += ']';
    return true;
  }

  bool write_struct(const SchemaNode& node) {
    out_ += '{';
    bool first = true;
    for (std::size_t i = 0; i < node.children.size(); ++i) {
      const SchemaNode& field = node.children[i];
      if (!omitted(field)) {
        if (!first) out_ += ',';
        out_ += node.keys[i];
        first = false;
      }
      if (!write(field)) {
        reader_.add_field(node.names[i].c_str());
        return false;
      }
    }
    out_ += '}';
    return true;
  }

  detail::Reader& reader_;
  BytesAs bytes_as_;
  std::string& out_;
};

}  // namespace

Status MessageDecoder::append_json(std::span<const std::uint8_t> bytes, BytesAs bytes_as, std::string& out) const {
  const std::size_t start = out.size();
  detail::Reader reader(bytes);
  if (JsonTextWriter(reader, bytes_as, out).write(*root_) && reader.expect_end()) return Status();
  out.resize(start);
  return detail::decode_status(reader.failure(), root_->name);
}

}  // namespace copper
