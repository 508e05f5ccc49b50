// Machinery of message_traits.hpp: the compile-time classification of field
// types behind the Message concept and check_message(). Not API: it is
// installed only because the public templates instantiate it, and it may
// change in any release.
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

// Included by copper/message_traits.hpp after kMaxMessageDepth and
// kMaxMessageLength, which it uses; not on its own.
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
}  // namespace copper
