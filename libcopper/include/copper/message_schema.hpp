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
#include <span>

#include <nlohmann/json.hpp>

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
std::uint64_t schema_hash(const nlohmann::json& schema);

// Ok when `schema` is a valid struct schema (see above); otherwise the error
// names the offending place as a JSON pointer, e.g.
//   "invalid schema at /fields/2/type: unknown type \"f128\"".
Status validate_schema(const nlohmann::json& schema);

// Decodes one message without its C++ type. Produces exactly what to_json
// produces for the same value, and rejects exactly the bytes decode()
// rejects, with the same messages. Fails with validate_schema's error on a
// bad schema.
Result<nlohmann::json> decode_to_json(std::span<const std::uint8_t> bytes, const nlohmann::json& schema);

}  // namespace copper
