#include "json_text.hpp"

#include "json_text_parts.hpp"

namespace copper::logtool {
namespace {

using nlohmann::json;
using Serializer = nlohmann::detail::serializer<json>;

class JsonText {
 public:
  JsonText(std::string& out, FloatText floats)
      : out_(out),
        floats_(floats),
        serializer_(nlohmann::detail::output_adapter<char, std::string>(out), ' ', json::error_handler_t::replace) {}

  void append(const json& value) {
    switch (value.type()) {
      case json::value_t::object: return append_object(value);
      case json::value_t::array: return append_array(value);
      case json::value_t::string: return append_string(value.get_ref<const std::string&>());
      case json::value_t::number_float:
        if (floats_ == FloatText::shortest) return detail::append_float_text(out_, value.get<double>());
        return serializer_.dump(value, false, false, 0);
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
    if (!detail::needs_no_escaping(text)) return serializer_.dump(json(text), false, false, 0);
    out_ += '"';
    out_ += text;
    out_ += '"';
  }

  std::string& out_;
  FloatText floats_;
  Serializer serializer_;
};

}  // namespace

void append_json(std::string& out, const nlohmann::json& value, FloatText floats) {
  JsonText(out, floats).append(value);
}

std::string json_text(const nlohmann::json& value) {
  std::string out;
  append_json(out, value, FloatText::dump);
  return out;
}

}  // namespace copper::logtool
