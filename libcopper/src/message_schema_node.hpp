// A message schema compiled into plain structs (message.cpp compiles and
// validates; message.cpp and message_json_text.cpp walk it). Internal: the
// public face is MessageDecoder (copper/message_schema.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace copper::detail {

// clang-format off
enum class SchemaKind : std::uint8_t {
  boolean, i8, i16, i32, i64, u8, u16, u32, u64, f32, f64, string,  // primitives
  vector, array, structure,
};
// clang-format on

// A validated schema type.
struct SchemaNode {
  SchemaKind kind = SchemaKind::boolean;
  std::size_t length = 0;            // array: element count
  std::size_t min_size = 0;          // fewest bytes a value encodes to (saturated)
  std::vector<SchemaNode> children;  // vector/array: the element; struct: the fields
  std::vector<std::string> names;    // struct: field names, parallel to children
  std::vector<std::string> keys;     // struct: each name as JSON text and a colon, e.g. "\"ax\":"
  std::string name;                  // struct: type name
};

}  // namespace copper::detail
