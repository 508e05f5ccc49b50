// The non-template half of messages: error formatting, hashing, schema
// validation and the generic (schema-driven) decoder.
//
// The generic decoder first compiles a schema into a SchemaNode tree. Compiling is
// validation: a schema that compiles is valid, and the decoder then walks
// plain structs instead of re-inspecting JSON for every vector element.

#include "copper/message.hpp"

#include "copper/base64.hpp"
#include "message_schema_node.hpp"
#include "xxhash_dispatch.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace copper {
namespace detail {

std::string format_path(const std::vector<PathStep>& innermost_first) {
  std::string path;
  for (auto it = innermost_first.rbegin(); it != innermost_first.rend(); ++it) {
    if (it->name != nullptr) {
      if (!path.empty()) path += '.';
      path += it->name;
    } else {
      path += fmt::format("[{}]", it->index);
    }
  }
  return path;
}

void throw_too_long(std::size_t length) {
  throw std::length_error(
      fmt::format("copper: cannot encode a string or vector of {} elements (the limit is 2^32-1)", length));
}

Status decode_status(const DecodeFailure& failure, std::string_view type_name) {
  const std::string path = format_path(failure.path);
  const std::string in = path.empty() ? std::string() : " in " + path;
  switch (failure.kind) {
    case DecodeFailure::Kind::truncated:
      return Status::error(fmt::format("decode {}: truncated at byte {}{}: need {} bytes for {}, {} remain",
                                       type_name, failure.offset, in, failure.needed, failure.what,
                                       failure.remaining));
    case DecodeFailure::Kind::too_long:
      return Status::error(fmt::format("decode {}: {} {} at byte {}{} needs at least {} bytes, {} remain", type_name,
                                       failure.what, failure.value, failure.offset, in, failure.needed,
                                       failure.remaining));
    case DecodeFailure::Kind::bad_bool:
      return Status::error(fmt::format("decode {}: invalid bool byte {:#04x} at byte {}{} (expected 0 or 1)",
                                       type_name, failure.value, failure.offset, in));
    case DecodeFailure::Kind::trailing:
      return Status::error(
          fmt::format("decode {}: {} trailing bytes at byte {}", type_name, failure.value, failure.offset));
    case DecodeFailure::Kind::none:
      break;
  }
  return Status::error(fmt::format("decode {}: failed", type_name));
}

Status json_status(const JsonFailure& failure) {
  const std::string path = format_path(failure.path);
  return Status::error(fmt::format("{}: {}", path.empty() ? "(root)" : path, failure.what));
}

std::vector<std::uint8_t>& hash_scratch() {
  thread_local std::vector<std::uint8_t> buffer;
  return buffer;
}

}  // namespace detail

std::uint64_t content_hash(std::span<const std::uint8_t> bytes) { return detail::xxh3(bytes.data(), bytes.size()); }

std::uint64_t schema_hash(const nlohmann::json& schema) {
  // Replacing invalid UTF-8 keeps hashing total; valid schemas are unaffected.
  const std::string text = schema.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return detail::xxh3(text.data(), text.size());
}

namespace {

using detail::SchemaKind;
using detail::SchemaNode;

struct PrimitiveName {
  std::string_view name;
  SchemaKind kind;
  std::size_t min_size;
};

constexpr std::array<PrimitiveName, 12> kPrimitives = {{
    {"bool", SchemaKind::boolean, 1},
    {"i8", SchemaKind::i8, 1},
    {"i16", SchemaKind::i16, 2},
    {"i32", SchemaKind::i32, 4},
    {"i64", SchemaKind::i64, 8},
    {"u8", SchemaKind::u8, 1},
    {"u16", SchemaKind::u16, 2},
    {"u32", SchemaKind::u32, 4},
    {"u64", SchemaKind::u64, 8},
    {"f32", SchemaKind::f32, 4},
    {"f64", SchemaKind::f64, 8},
    {"string", SchemaKind::string, 4},  // the length prefix
}};

constexpr std::size_t kMaxSize = std::numeric_limits<std::size_t>::max();

std::size_t saturating_add(std::size_t a, std::size_t b) { return a > kMaxSize - b ? kMaxSize : a + b; }
std::size_t saturating_mul(std::size_t a, std::size_t b) { return b != 0 && a > kMaxSize / b ? kMaxSize : a * b; }

Status schema_error(const std::string& pointer, std::string_view what) {
  return Status::error(fmt::format("invalid schema at {}: {}", pointer.empty() ? "/" : pointer, what));
}

// Objects in a schema have a fixed set of keys; anything else is a typo or a
// schema from a newer version this decoder cannot honour.
Status check_keys(const nlohmann::json& object, std::initializer_list<std::string_view> allowed,
                  const std::string& pointer) {
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (std::find(allowed.begin(), allowed.end(), it.key()) == allowed.end()) {
      return schema_error(pointer, fmt::format("unexpected key \"{}\"", it.key()));
    }
  }
  return Status();
}

Status compile_type(const nlohmann::json& type, const std::string& pointer, std::size_t depth, SchemaNode& node);

Status compile_struct(const nlohmann::json& type, const std::string& pointer, std::size_t depth, SchemaNode& node) {
  if (Status s = check_keys(type, {"name", "fields"}, pointer); !s) return s;
  const auto name = type.find("name");
  if (name == type.end() || !name->is_string() || name->get_ref<const std::string&>().empty()) {
    return schema_error(pointer, "struct needs a non-empty string \"name\"");
  }
  const auto fields = type.find("fields");
  if (fields == type.end() || !fields->is_array()) return schema_error(pointer, "struct needs a \"fields\" array");
  node.kind = SchemaKind::structure;
  node.name = name->get<std::string>();
  node.children.resize(fields->size());
  node.names.reserve(fields->size());
  for (std::size_t i = 0; i < fields->size(); ++i) {
    const nlohmann::json& field = (*fields)[i];
    const std::string field_pointer = fmt::format("{}/fields/{}", pointer, i);
    if (!field.is_object()) return schema_error(field_pointer, "field must be an object {\"name\", \"type\"}");
    if (Status s = check_keys(field, {"name", "type"}, field_pointer); !s) return s;
    const auto field_name = field.find("name");
    if (field_name == field.end() || !field_name->is_string() || field_name->get_ref<const std::string&>().empty()) {
      return schema_error(field_pointer, "field needs a non-empty string \"name\"");
    }
    const std::string& name_text = field_name->get_ref<const std::string&>();
    if (std::find(node.names.begin(), node.names.end(), name_text) != node.names.end()) {
      return schema_error(field_pointer, fmt::format("duplicate field name \"{}\"", name_text));
    }
    node.names.push_back(name_text);
    node.keys.push_back(nlohmann::json(name_text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + ':');
    const auto field_type = field.find("type");
    if (field_type == field.end()) return schema_error(field_pointer, "field needs a \"type\"");
    if (Status s = compile_type(*field_type, field_pointer + "/type", depth + 1, node.children[i]); !s) return s;
    node.min_size = saturating_add(node.min_size, node.children[i].min_size);
  }
  return Status();
}

Status compile_element(const nlohmann::json& type, const std::string& pointer, std::size_t depth, SchemaNode& node) {
  node.children.resize(1);
  if (Status s = compile_type(type, pointer, depth + 1, node.children[0]); !s) return s;
  if (node.children[0].min_size == 0) {
    return schema_error(pointer, "element type encodes to zero bytes (empty struct or zero-length array)");
  }
  return Status();
}

Status compile_type(const nlohmann::json& type, const std::string& pointer, std::size_t depth, SchemaNode& node) {
  if (depth > kMaxMessageDepth) {
    return schema_error(pointer, fmt::format("nested deeper than {} levels", kMaxMessageDepth));
  }
  if (type.is_string()) {
    const std::string& text = type.get_ref<const std::string&>();
    for (const PrimitiveName& primitive : kPrimitives) {
      if (primitive.name == text) {
        node.kind = primitive.kind;
        node.min_size = primitive.min_size;
        return Status();
      }
    }
    return schema_error(pointer, fmt::format("unknown type \"{}\"", text));
  }
  if (!type.is_object()) {
    return schema_error(pointer, fmt::format("type must be a string or an object, not {}", type.type_name()));
  }
  if (const auto element = type.find("vector"); element != type.end()) {
    if (Status s = check_keys(type, {"vector"}, pointer); !s) return s;
    node.kind = SchemaKind::vector;
    node.min_size = 4;  // the count prefix
    return compile_element(*element, pointer + "/vector", depth, node);
  }
  if (const auto element = type.find("array"); element != type.end()) {
    if (Status s = check_keys(type, {"array", "size"}, pointer); !s) return s;
    const auto size = type.find("size");
    // Parsed non-negative integers are stored unsigned; built ones may be signed.
    const bool size_ok = size != type.end() &&
                         ((size->is_number_unsigned() && size->get<std::uint64_t>() <= kMaxMessageLength) ||
                          (size->is_number_integer() && !size->is_number_unsigned() &&
                           size->get<std::int64_t>() >= 0 &&
                           static_cast<std::uint64_t>(size->get<std::int64_t>()) <= kMaxMessageLength));
    if (!size_ok) {
      return schema_error(pointer, fmt::format("array needs a \"size\" integer in [0, {}]", kMaxMessageLength));
    }
    node.kind = SchemaKind::array;
    node.length = size->get<std::size_t>();
    if (Status s = compile_element(*element, pointer + "/array", depth, node); !s) return s;
    node.min_size = saturating_mul(node.length, node.children[0].min_size);
    return Status();
  }
  if (type.contains("fields") || type.contains("name")) return compile_struct(type, pointer, depth, node);
  return schema_error(pointer, "type object needs \"vector\", \"array\" and \"size\", or \"name\" and \"fields\"");
}

Result<SchemaNode> compile_schema(const nlohmann::json& schema) {
  if (!schema.is_object()) return schema_error("", "schema must be a struct object {\"name\", \"fields\"}");
  SchemaNode root;
  if (Status s = compile_struct(schema, "", 1, root); !s) return s;
  return root;
}

template <class T>
bool read_primitive(detail::Reader& reader, nlohmann::json& out) {
  T value{};
  if (!reader.read(value)) return false;
  out = detail::value_to_json(value);
  return true;
}

// The generic decoder's walk; `bytes_as` decides how runs of u8 come out.
class JsonBuilder {
 public:
  JsonBuilder(detail::Reader& reader, BytesAs bytes_as) : reader_(reader), bytes_as_(bytes_as) {}

  bool read(const SchemaNode& node, nlohmann::json& out) {
    switch (node.kind) {
      case SchemaKind::boolean: return read_primitive<bool>(reader_, out);
      case SchemaKind::i8: return read_primitive<std::int8_t>(reader_, out);
      case SchemaKind::i16: return read_primitive<std::int16_t>(reader_, out);
      case SchemaKind::i32: return read_primitive<std::int32_t>(reader_, out);
      case SchemaKind::i64: return read_primitive<std::int64_t>(reader_, out);
      case SchemaKind::u8: return read_primitive<std::uint8_t>(reader_, out);
      case SchemaKind::u16: return read_primitive<std::uint16_t>(reader_, out);
      case SchemaKind::u32: return read_primitive<std::uint32_t>(reader_, out);
      case SchemaKind::u64: return read_primitive<std::uint64_t>(reader_, out);
      case SchemaKind::f32: return read_primitive<float>(reader_, out);
      case SchemaKind::f64: return read_primitive<double>(reader_, out);
      case SchemaKind::string: return read_string(out);
      case SchemaKind::vector: {
        std::uint32_t count = 0;
        if (!reader_.read_count(count, node.children[0].min_size, "vector count")) return false;
        return read_elements(node.children[0], count, out);
      }
      case SchemaKind::array: return read_elements(node.children[0], node.length, out);
      case SchemaKind::structure: return read_struct(node, out);
    }
    return false;
  }

 private:
  bool read_string(nlohmann::json& out) {
    std::uint32_t length = 0;
    if (!reader_.read_count(length, 1, "string length")) return false;
    const std::uint8_t* p = reader_.take(length, "string bytes");
    out = std::string(reinterpret_cast<const char*>(p), length);
    return true;
  }

  // A run of bytes as one string or binary value, or nothing (out is left
  // discarded).
  bool read_bytes(std::size_t count, nlohmann::json& out) {
    const std::uint8_t* p = reader_.take(count, "u8");
    if (p == nullptr) return false;
    if (bytes_as_ == BytesAs::omitted) {
      out = nlohmann::json(nlohmann::json::value_t::discarded);
      return true;
    }
    if (bytes_as_ == BytesAs::binary) {
      out = nlohmann::json::binary(std::vector<std::uint8_t>(p, p + count));
      return true;
    }
    std::string text;
    base64_append(text, {p, count});
    out = std::move(text);
    return true;
  }

  bool read_elements(const SchemaNode& element, std::size_t count, nlohmann::json& out) {
    if (element.kind == SchemaKind::u8 && bytes_as_ != BytesAs::numbers) {
      // Short input: fall through so the error names the element, as decode() does.
      if (count <= reader_.remaining()) return read_bytes(count, out);
    }
    out = nlohmann::json::array();
    auto& array = out.get_ref<nlohmann::json::array_t&>();
    array.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
      array.emplace_back();
      if (!read(element, array.back())) {
        reader_.add_index(i);
        return false;
      }
      if (array.back().is_discarded()) array.back() = nullptr;  // an omitted byte run inside an array
    }
    return true;
  }

  bool read_struct(const SchemaNode& node, nlohmann::json& out) {
    out = nlohmann::json::object();
    for (std::size_t i = 0; i < node.children.size(); ++i) {
      nlohmann::json value;
      if (!read(node.children[i], value)) {
        reader_.add_field(node.names[i].c_str());
        return false;
      }
      if (!value.is_discarded()) out.emplace(node.names[i], std::move(value));
    }
    return true;
  }

  detail::Reader& reader_;
  BytesAs bytes_as_;
};

}  // namespace

Status validate_schema(const nlohmann::json& schema) { return compile_schema(schema).status(); }

Result<MessageDecoder> MessageDecoder::compile(const nlohmann::json& schema) {
  Result<SchemaNode> root = compile_schema(schema);
  if (!root) return root.status();
  return MessageDecoder(std::make_shared<const SchemaNode>(std::move(*root)));
}

MessageDecoder::MessageDecoder(std::shared_ptr<const detail::SchemaNode> root) : root_(std::move(root)) {}

const std::string& MessageDecoder::type_name() const { return root_->name; }

Result<nlohmann::json> MessageDecoder::decode(std::span<const std::uint8_t> bytes, BytesAs bytes_as) const {
  detail::Reader reader(bytes);
  nlohmann::json out;
  if (JsonBuilder(reader, bytes_as).read(*root_, out) && reader.expect_end()) return out;
  return detail::decode_status(reader.failure(), root_->name);
}

Result<nlohmann::json> decode_to_json(std::span<const std::uint8_t> bytes, const nlohmann::json& schema) {
  Result<MessageDecoder> decoder = MessageDecoder::compile(schema);
  if (!decoder) return decoder.status();
  return decoder->decode(bytes);
}

}  // namespace copper
