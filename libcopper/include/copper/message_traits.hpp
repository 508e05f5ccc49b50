// What a message type is.
//
// A message is a plain struct described with BOOST_DESCRIBE_STRUCT. The
// encoding, the schema, the JSON conversions and reset() are all derived from
// that description by walking the field types below; this header holds the
// compile-time facts they share, so every derived form agrees on what a type
// means.
//
// Supported field types: bool, 8/16/32/64-bit signed and unsigned integers,
// float, double, std::string, std::vector<T>, std::array<T, N> and nested
// described structs, nested arbitrarily. Deliberately not supported:
//  - char / char8_t / wchar_t: their signedness is not portable, so "i8" or
//    "u8" would be a guess; use int8_t, uint8_t or std::string.
//  - long double, enums, pointers, const members: no portable encoding or
//    no way to decode into them. (Enums may come later with an explicit width.)
//  - vector / array elements that encode to zero bytes (empty structs,
//    std::array<T, 0>): a decoder bounds every count by the bytes left, which
//    is only possible when each element costs at least one byte.
//  - Private, protected or hidden described members: the codec only sees
//    public members, and silently dropping state would be worse than refusing.
//    Members that are not described at all cannot be detected; describe them.
//
// `static_assert(copper::check_message<MyMsg>());` after a struct's
// description reports which field type is unsupported, which the plain
// concept cannot do.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include <boost/core/type_name.hpp>
#include <boost/describe/class.hpp>
#include <boost/describe/members.hpp>
#include <boost/describe/modifiers.hpp>
#include <boost/mp11/algorithm.hpp>
#include <boost/mp11/list.hpp>

namespace copper {

// Deepest nesting of types a message or schema may have (a struct, a vector,
// an array and a primitive each count one level). The generic decoder recurses
// once per level; the bound keeps a hostile schema from exhausting the stack.
inline constexpr std::size_t kMaxMessageDepth = 64;

// Strings and vectors carry a u32 length prefix.
inline constexpr std::size_t kMaxMessageLength = std::numeric_limits<std::uint32_t>::max();

// The encoding stores floats as their IEEE-754 bit patterns.
static_assert(std::numeric_limits<float>::is_iec559 && sizeof(float) == 4);
static_assert(std::numeric_limits<double>::is_iec559 && sizeof(double) == 8);
static_assert(std::endian::native == std::endian::little || std::endian::native == std::endian::big,
              "copper messages need a little- or big-endian host");

}  // namespace copper

#include "copper/export.hpp"
#include "copper/detail/message_traits.hpp"  // needs the limits above

namespace copper {

// A described struct whose every field the message machinery supports.
template <class T>
concept Message = detail::Described<T> && detail::supported_struct<T>() &&
                  detail::nesting_depth<T>() <= kMaxMessageDepth;

// Fails to compile, naming the offending field type, when T is not a Message.
// Use as `static_assert(copper::check_message<T>());`.
template <class T>
consteval bool check_message() {
  detail::diagnose_struct<T>();
  static_assert(detail::nesting_depth<T>() <= kMaxMessageDepth, "copper: message nests deeper than 64 levels");
  return true;
}

// The type's qualified name, e.g. "rover::Imu"; also the "name" of its schema.
template <class T>
std::string type_name() {
  return boost::core::type_name<T>();
}

namespace detail {

// One step on the way from a message to the value an error is about: a field
// name, or (name == nullptr) an element index. Steps are recorded while an
// error unwinds, innermost first, so the success path never builds strings.
struct PathStep {
  const char* name;
  std::size_t index;
};

// "pose.x", "points[3].y"; "" for the message itself.
COPPER_API std::string format_path(const std::vector<PathStep>& innermost_first);

}  // namespace detail
}  // namespace copper
