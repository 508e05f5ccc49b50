// Messages: the values tasks exchange.
//
// Define one as a plain struct and describe it:
//
//   namespace rover {
//   struct Imu {
//     uint64_t stamp_ns;
//     std::array<float, 3> accel;
//     std::vector<float> samples;
//   };
//   BOOST_DESCRIBE_STRUCT(Imu, (), (stamp_ns, accel, samples))
//   }  // namespace rover
//   static_assert(copper::check_message<rover::Imu>());  // optional, better errors
//
// From the description the library derives (see the headers included below):
//   message_traits.hpp  the Message concept, type_name<T>()
//   message_codec.hpp   encode / encoded_size / decode / content_hash
//   message_schema.hpp  schema_of / schema_hash / validate_schema / decode_to_json
//   message_json.hpp    to_json / from_json
// and, here, reset(), content_equal() and the type-erased MessageType the
// runtime keeps per slot.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "copper/message_codec.hpp"
#include "copper/message_json.hpp"
#include "copper/message_schema.hpp"
#include "copper/message_traits.hpp"
#include "copper/status.hpp"
#include "copper/detail/message_ops.hpp"

namespace copper {

// Puts msg back into a neutral state without releasing memory: numbers 0,
// bools false, strings and vectors cleared (capacity kept), arrays and nested
// structs element by element. Allocates nothing. Note that clearing a vector
// of strings or vectors destroys the inner ones, and their capacity with them.
template <Message T>
void reset(T& msg) {
  detail::reset_value(msg);
}

// True when a and b have identical encodings: field-wise ==, except that
// floats compare by bit pattern (a NaN equals itself, 0.0 differs from -0.0),
// so content_equal(a, b) implies content_hash(a) == content_hash(b).
// Allocates nothing.
template <Message T>
bool content_equal(const T& a, const T& b) {
  return detail::value_equal(a, b);
}

// A message type with the type erased, for the runtime, which keeps messages
// in preallocated slots without knowing their C++ types. The functions take
// pointers to objects of the described type; handing them anything else is
// undefined behaviour.
struct MessageType {
  std::string name;           // type_name<T>()
  nlohmann::json schema;      // schema_of<T>()
  std::uint64_t schema_hash;  // schema_hash(schema)
  void* (*create)();          // new T{}
  void (*destroy)(void*);     // delete
  void (*reset)(void*);       // copper::reset
  void (*encode)(const void*, std::vector<std::uint8_t>&);  // appends, like copper::encode
  Status (*decode)(std::span<const std::uint8_t>, void*);
  nlohmann::json (*to_json)(const void*);
  bool (*equal)(const void*, const void*);    // content_equal
  void (*copy)(const void* from, void* to);   // assignment; reuses the target's capacity
  std::size_t (*encoded_size)(const void*);
  void (*encode_into)(const void*, std::uint8_t*);  // writes encoded_size() bytes there
  bool (*matches_encoding)(const void*, std::span<const std::uint8_t>);  // encode() would give these bytes
  Status (*from_json)(const nlohmann::json&, void*);
};

namespace detail {

template <Message T>
MessageType make_message_type() {
  MessageType type{};
  type.name = copper::type_name<T>();
  type.schema = copper::schema_of<T>();
  type.schema_hash = copper::schema_hash(type.schema);
  type.create = []() -> void* { return new T{}; };
  type.destroy = [](void* msg) { delete static_cast<T*>(msg); };
  type.reset = [](void* msg) { copper::reset(*static_cast<T*>(msg)); };
  type.encode = [](const void* msg, std::vector<std::uint8_t>& out) {
    copper::encode(*static_cast<const T*>(msg), out);
  };
  type.decode = [](std::span<const std::uint8_t> bytes, void* msg) {
    return copper::decode(bytes, *static_cast<T*>(msg));
  };
  type.to_json = [](const void* msg) { return copper::to_json(*static_cast<const T*>(msg)); };
  type.equal = [](const void* a, const void* b) {
    return copper::content_equal(*static_cast<const T*>(a), *static_cast<const T*>(b));
  };
  type.copy = [](const void* from, void* to) { *static_cast<T*>(to) = *static_cast<const T*>(from); };
  type.encoded_size = [](const void* msg) { return copper::encoded_size(*static_cast<const T*>(msg)); };
  type.encode_into = [](const void* msg, std::uint8_t* out) { copper::encode_into(*static_cast<const T*>(msg), out); };
  type.matches_encoding = [](const void* msg, std::span<const std::uint8_t> bytes) {
    return copper::matches_encoding(*static_cast<const T*>(msg), bytes);
  };
  type.from_json = [](const nlohmann::json& j, void* msg) { return copper::from_json(j, *static_cast<T*>(msg)); };
  return type;
}

}  // namespace detail

// The one MessageType for T; built on first use (thread-safe), then shared.
template <Message T>
const MessageType& message_type() {
  static const MessageType type = detail::make_message_type<T>();
  return type;
}

}  // namespace copper
