// Message schemas: the description of a message type as data, so tools that
// lack the C++ type (log viewers, other languages) can still read messages.
//
// A schema is a struct type:
//   {"name": "rover::Imu", "fields": [{"name": "ax", "type": <type>}, ...]}
// where <type> is one of
//   "bool" "i8" "i16" "i32" "i64" "u8" "u16" "u32" "u64" "f32" "f64" "string"
//   {"vector": <type>}
//   {"array": <type>, "size": N}
//   a nested struct, inline, in the same {"name", "fields"} shape.
// Fields are listed in declaration order, which is also encoding order.
// A valid schema has no other keys, unique non-empty field names, array sizes
// in [0, 2^32-1], vector/array elements that encode to at least one byte, and
// at most kMaxMessageDepth levels of nesting; schema_of<T>() always is one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include <nlohmann/json.hpp>

#include "copper/export.hpp"
#include "copper/message_traits.hpp"
#include "copper/status.hpp"

namespace copper {
namespace detail {

template <class T>
nlohmann::json struct_schema();

template <class T>
nlohmann::json type_schema() {
  if constexpr (Primitive<T>) {
    return detail::primitive_name<T>();
  } else if constexpr (String<T>) {
    return "string";
  } else if constexpr (Vector<T>) {
    return nlohmann::json::object({{"vector", detail::type_schema<typename T::value_type>()}});
  } else if constexpr (Array<T>) {
    return nlohmann::json::object({{"array", detail::type_schema<typename T::value_type>()},
                                   {"size", static_cast<std::uint64_t>(std::tuple_size_v<T>)}});
  } else {
    return detail::struct_schema<T>();
  }
}

template <class... D>
nlohmann::json field_schemas(boost::mp11::mp_list<D...>) {
  nlohmann::json fields = nlohmann::json::array();
  (fields.push_back(nlohmann::json::object({{"name", D::name}, {"type", detail::type_schema<field_type<D>>()}})), ...);
  return fields;
}

template <class T>
nlohmann::json struct_schema() {
  return nlohmann::json::object({{"name", copper::type_name<T>()}, {"fields", detail::field_schemas(fields_of<T>{})}});
}

}  // namespace detail

template <Message T>
nlohmann::json schema_of() {
  return detail::struct_schema<T>();
}

// XXH3_64bits (seed 0) of schema.dump(). nlohmann::json keeps object keys
// sorted, so the dump, and the hash, do not depend on how the schema was
// built. Two types with equal schema hashes encode alike.
COPPER_API std::uint64_t schema_hash(const nlohmann::json& schema);

// Ok when `schema` is a valid struct schema (see above); otherwise the error
// names the offending place as a JSON pointer, e.g.
//   "invalid schema at /fields/2/type: unknown type \"f128\"".
COPPER_API Status validate_schema(const nlohmann::json& schema);

// Decodes one message without its C++ type. Produces exactly what to_json
// produces for the same value, and rejects exactly the bytes decode()
// rejects, with the same messages. Fails with validate_schema's error on a
// bad schema.
// Compiles the schema on every call: for many messages of one type, use a
// MessageDecoder.
COPPER_API Result<nlohmann::json> decode_to_json(std::span<const std::uint8_t> bytes, const nlohmann::json& schema);

// How the generic decoder renders runs of bytes (std::vector<uint8_t>,
// std::array<uint8_t, N>: images, raw frames).
enum class BytesAs : std::uint8_t {
  numbers,  // an array of integers, as to_json gives
  base64,   // one base64 string (base64.hpp): compact, and fast to write
  omitted,  // left out: the field is absent from its struct (null inside an array)
  binary,   // decode(): a nlohmann binary value holding the bytes as they are
            // (the protobuf views of images); append_json, as JSON text has
            // no bytes, writes them as base64
};

namespace detail {
struct SchemaNode;  // a validated schema, compiled (message.cpp)
}

// A schema compiled once and used for many messages: decode_to_json
// re-validates the schema JSON on every call, which dominates when a tool
// decodes every slot of every copperlist. Copies share the compiled form;
// decode is const and may run on several threads at once.
class COPPER_API MessageDecoder {
 public:
  // Fails with validate_schema's error.
  static Result<MessageDecoder> compile(const nlohmann::json& schema);

  // The schema's type name, e.g. "rover::Imu".
  const std::string& type_name() const;
  // With BytesAs::numbers, exactly decode_to_json: same JSON, same errors.
  Result<nlohmann::json> decode(std::span<const std::uint8_t> bytes, BytesAs bytes_as = BytesAs::numbers) const;

  // Appends the message's JSON text to `out`, with no JSON object in
  // between (the exports and the live view: several times faster than
  // decode and dump). The text parses to exactly decode(bytes, bytes_as):
  // - struct fields in schema order (decode's objects sort their keys;
  //   JSON gives member order no meaning);
  // - integers exact, 64-bit included; floats (an f32 widened to double,
  //   as to_json does) as std::to_chars' shortest text that reads back as
  //   the same double, with ".0" added to a whole number so that it reads
  //   back as a float; NaN and infinities as null, as nlohmann writes them;
  // - strings escaped as JSON needs, invalid UTF-8 replaced by U+FFFD, as
  //   json::dump with error_handler_t::replace does;
  // - runs of u8 as base64 strings, left out or as numbers, as decode does.
  // Malformed bytes: decode's Status, and `out` back at its length before
  // the call. Allocates nothing once `out` has grown to fit (strings that
  // need escaping excepted).
  Status append_json(std::span<const std::uint8_t> bytes, BytesAs bytes_as, std::string& out) const;

 private:
  explicit MessageDecoder(std::shared_ptr<const detail::SchemaNode> root);
  std::shared_ptr<const detail::SchemaNode> root_;
};

}  // namespace copper
