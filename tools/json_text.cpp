#include "json_text.hpp"

#include <algorithm>

namespace copper::logtool {
namespace {

using nlohmann::json;
using Serializer = nlohmann::detail::serializer<json>;

// Printable ASCII other than the two characters JSON escapes: copied as is
// by the serializer too (bytes from 0x7F on take its checked path).
// Branch-free so that the compiler vectorises it: these strings run to
// tens of kilobytes.
bool needs_no_escaping(const std::string& text) {
  unsigned plain = 1;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    plain &= static_cast<unsigned>(static_cast<unsigned char>(byte - 0x20) < 0x5F) & (byte != '"') & (byte != '\\');
  }
  return plain != 0;
}

class JsonText {
 public:
  explicit JsonText(std::string& out)
      : out_(out),
        serializer_(nlohmann::detail::output_adapter<char, std::string>(out), ' ', json::error_handler_t::replace) {}

  void append(const json& value) {
    switch (value.type()) {
      case json::value_t::object: return append_object(value);
      case json::value_t::array: return append_array(value);
      case json::value_t::string: return append_string(value.get_ref<const std::string&>());
      default: serializer_.dump(value, false, false, 0);
    }
  }

 private:
  void append_object(const json& object) {
    out_ += '{';
    bool first = true;
    for (auto it = object.begin(); it != object.end(); ++it) {
      if (!first) out_ += ',';
      first = false;
      append_string(it.key());
      out_ += ':';
      append(it.value());
    }
    out_ += '}';
  }

  void append_array(const json& array) {
    out_ += '[';
    bool first = true;
    for (const json& element : array) {
      if (!first) out_ += ',';
      first = false;
      append(element);
    }
    out_ += ']';
  }

  void append_string(const std::string& text) {
    if (!needs_no_escaping(text)) return serializer_.dump(json(text), false, false, 0);
    out_ += '"';
    out_ += text;
    out_ += '"';
  }

  std::string& out_;
  Serializer serializer_;
};

}  // namespace

void append_json(std::string& out, const nlohmann::json& value) { JsonText(out).append(value); }

std::string json_text(const nlohmann::json& value) {
  std::string out;
  append_json(out, value);
  return out;
}

}  // namespace copper::logtool
