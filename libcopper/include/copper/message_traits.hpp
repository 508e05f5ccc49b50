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

namespace detail {

template <class T>
struct is_std_vector : std::false_type {};
// Only the default allocator: a custom one would change what decode allocates.
template <class T>
struct is_std_vector<std::vector<T>> : std::true_type {};

template <class T>
struct is_std_array : std::false_type {};
template <class T, std::size_t N>
struct is_std_array<std::array<T, N>> : std::true_type {};

template <class T>
concept Bool = std::same_as<T, bool>;

template <class T>
concept CharLike = std::same_as<T, char> || std::same_as<T, wchar_t> || std::same_as<T, char8_t> ||
                   std::same_as<T, char16_t> || std::same_as<T, char32_t>;

template <class T>
concept Integer = std::integral<T> && !std::is_const_v<T> && !std::is_volatile_v<T> && !Bool<T> && !CharLike<T> &&
                  (sizeof(T) == 1 || sizeof(T) == 2 || sizeof(T) == 4 || sizeof(T) == 8);

template <class T>
concept Float = std::same_as<T, float> || std::same_as<T, double>;

template <class T>
concept Primitive = Bool<T> || Integer<T> || Float<T>;

template <class T>
concept String = std::same_as<T, std::string>;

template <class T>
concept Vector = is_std_vector<T>::value;

template <class T>
concept Array = is_std_array<T>::value;

template <class T>
concept Described = std::is_class_v<T> && boost::describe::has_describe_members<T>::value;

// The members that make up a message: public, non-static data members,
// including those of described public bases (base members first).
template <class T>
using fields_of = boost::mp11::mp_rename<
    boost::describe::describe_members<T, boost::describe::mod_public | boost::describe::mod_inherited>,
    boost::mp11::mp_list>;

// Every described data member, to notice the ones fields_of leaves out.
template <class T>
using described_of = boost::describe::describe_members<
    T, boost::describe::mod_any_access | boost::describe::mod_inherited | boost::describe::mod_hidden>;

template <class P>
struct member_pointee;
template <class C, class M>
struct member_pointee<M C::*> {
  using type = M;
};

// The declared type of the member a descriptor D names.
template <class D>
using field_type = typename member_pointee<std::remove_cv_t<decltype(D::pointer)>>::type;

template <class T>
inline constexpr bool always_false = false;

// Encoded width of a primitive; bool is one byte whatever sizeof(bool) is.
template <Primitive T>
inline constexpr std::size_t width = Bool<T> ? 1 : sizeof(T);

// The name a primitive has in schemas and in error messages.
template <Primitive T>
constexpr const char* primitive_name() {
  if constexpr (Bool<T>) {
    return "bool";
  } else if constexpr (Float<T>) {
    return sizeof(T) == 4 ? "f32" : "f64";
  } else if constexpr (std::is_signed_v<T>) {
    constexpr const char* names[] = {"i8", "i16", "", "i32", "", "", "", "i64"};
    return names[sizeof(T) - 1];
  } else {
    constexpr const char* names[] = {"u8", "u16", "", "u32", "", "", "", "u64"};
    return names[sizeof(T) - 1];
  }
}

// Fewest bytes a value of T can encode to. Vector counts are checked against
// it before anything is allocated. 0 for unsupported types, so the support
// checks below can ask without failing to compile.
template <class T>
constexpr std::size_t min_encoded_size();

template <class... D>
constexpr std::size_t sum_min_encoded_size(boost::mp11::mp_list<D...>) {
  return (std::size_t{0} + ... + detail::min_encoded_size<field_type<D>>());
}

template <class T>
constexpr std::size_t min_encoded_size() {
  if constexpr (Primitive<T>) {
    return width<T>;
  } else if constexpr (String<T> || Vector<T>) {
    return 4;
  } else if constexpr (Array<T>) {
    // Cannot overflow: min_encoded_size<T>() <= sizeof(T) for every type here.
    return std::tuple_size_v<T> * detail::min_encoded_size<typename T::value_type>();
  } else if constexpr (Described<T>) {
    return detail::sum_min_encoded_size(fields_of<T>{});
  } else {
    return 0;
  }
}

// Whether every value of T encodes to the same number of bytes; encoded_size
// of a vector of such elements is then a multiplication, not a loop.
template <class T>
constexpr bool fixed_size();

template <class... D>
constexpr bool all_fixed_size(boost::mp11::mp_list<D...>) {
  return (detail::fixed_size<field_type<D>>() && ...);
}

template <class T>
constexpr bool fixed_size() {
  if constexpr (Primitive<T>) {
    return true;
  } else if constexpr (Array<T>) {
    return detail::fixed_size<typename T::value_type>();
  } else if constexpr (Described<T>) {
    return detail::all_fixed_size(fields_of<T>{});
  } else {
    return false;
  }
}

// Whether a contiguous run of T in memory holds exactly the bytes of its
// values with no padding: non-bool arithmetic types and arrays of them.
// Such runs are memcpy'd / memcmp'd as a whole.
template <class T>
constexpr bool dense() {
  if constexpr (Integer<T> || Float<T>) {
    return true;
  } else if constexpr (Array<T>) {
    using V = typename T::value_type;
    return detail::dense<V>() && sizeof(T) == std::tuple_size_v<T> * sizeof(V);
  } else {
    return false;
  }
}

// Dense runs whose memory image is already the encoding.
template <class T>
inline constexpr bool bulk_copyable = dense<T>() && std::endian::native == std::endian::little;

// Levels of type nesting, counted as the generic decoder counts them.
template <class T>
constexpr std::size_t nesting_depth();

template <class... D>
constexpr std::size_t max_field_depth(boost::mp11::mp_list<D...>) {
  std::size_t deepest = 0;
  ((deepest = std::max(deepest, detail::nesting_depth<field_type<D>>())), ...);
  return deepest;
}

template <class T>
constexpr std::size_t nesting_depth() {
  if constexpr (Vector<T> || Array<T>) {
    return 1 + detail::nesting_depth<typename T::value_type>();
  } else if constexpr (Described<T>) {
    return 1 + detail::max_field_depth(fields_of<T>{});
  } else {
    return 1;
  }
}

template <class T>
constexpr bool supported_field();

template <class... D>
constexpr bool all_fields_supported(boost::mp11::mp_list<D...>) {
  return (detail::supported_field<field_type<D>>() && ...);
}

template <class T>
constexpr bool supported_struct() {
  if constexpr (!Described<T>) {
    return false;
  } else {
    return boost::mp11::mp_size<fields_of<T>>::value == boost::mp11::mp_size<described_of<T>>::value &&
           detail::all_fields_supported(fields_of<T>{});
  }
}

template <class T>
constexpr bool supported_field() {
  if constexpr (Primitive<T> || String<T>) {
    return true;
  } else if constexpr (Vector<T> || Array<T>) {
    using V = typename T::value_type;
    bool ok = detail::supported_field<V>() && detail::min_encoded_size<V>() > 0;
    if constexpr (Array<T>) ok = ok && std::tuple_size_v<T> <= kMaxMessageLength;
    return ok;
  } else {
    return detail::supported_struct<T>();
  }
}

// Instantiated only for an offending field type, so the compiler's
// "in instantiation of ... [with F = ...]" names it.
template <class F>
consteval bool diagnose_field();

template <class... D>
consteval bool diagnose_fields(boost::mp11::mp_list<D...>) {
  return (detail::diagnose_field<field_type<D>>() && ...);
}

template <class T>
consteval bool diagnose_struct() {
  static_assert(Described<T>, "copper: a message must be a struct described with BOOST_DESCRIBE_STRUCT");
  if constexpr (Described<T>) {
    static_assert(boost::mp11::mp_size<fields_of<T>>::value == boost::mp11::mp_size<described_of<T>>::value,
                  "copper: message structs may only describe public, non-hidden data members "
                  "(private, protected and hidden members would not be encoded)");
    return detail::diagnose_fields(fields_of<T>{});
  }
  return false;
}

template <class F>
consteval bool diagnose_field() {
  if constexpr (Primitive<F> || String<F>) {
    return true;
  } else if constexpr (Vector<F> || Array<F>) {
    using V = typename F::value_type;
    detail::diagnose_field<V>();
    if constexpr (detail::supported_field<V>()) {  // else the element's own error says it all
      static_assert(detail::min_encoded_size<V>() > 0,
                    "copper: vector/array elements must encode to at least one byte "
                    "(no empty structs or zero-length arrays as elements)");
    }
    if constexpr (Array<F>) {
      static_assert(std::tuple_size_v<F> <= kMaxMessageLength, "copper: std::array longer than 2^32-1 elements");
    }
    return true;
  } else if constexpr (Described<F>) {
    return detail::diagnose_struct<F>();
  } else {
    static_assert(always_false<F>,
                  "copper: unsupported message field type (see F above); use bool, int8_t..int64_t, "
                  "uint8_t..uint64_t, float, double, std::string, std::vector, std::array or a "
                  "BOOST_DESCRIBE_STRUCT struct, none of them const");
    return false;
  }
}

}  // namespace detail

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
std::string format_path(const std::vector<PathStep>& innermost_first);

}  // namespace detail
}  // namespace copper
