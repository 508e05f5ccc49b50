// Machinery of message.hpp: the walks behind reset() and content_equal().
// Not API: it is installed only because the public templates instantiate
// it, and it may change in any release.
#pragma once

#include <bit>
#include <cstddef>
#include <cstring>

#include "copper/detail/message_codec.hpp"
#include "copper/message_traits.hpp"

namespace copper {
namespace detail {

template <class T>
void reset_value(T& value);

template <class T, class... D>
void reset_fields(T& value, boost::mp11::mp_list<D...>) {
  (detail::reset_value(value.*D::pointer), ...);
}

template <class T>
void reset_value(T& value) {
  if constexpr (Primitive<T>) {
    value = T{};
  } else if constexpr (String<T> || Vector<T>) {
    value.clear();
  } else if constexpr (Array<T>) {
    for (auto& element : value) detail::reset_value(element);
  } else {
    detail::reset_fields(value, fields_of<T>{});
  }
}

template <class T>
bool value_equal(const T& a, const T& b);

template <class T, class... D>
bool fields_equal(const T& a, const T& b, boost::mp11::mp_list<D...>) {
  return (detail::value_equal(a.*D::pointer, b.*D::pointer) && ...);
}

template <class T>
bool value_equal(const T& a, const T& b) {
  if constexpr (Float<T>) {
    using U = typename unsigned_of_size<sizeof(T)>::type;
    return std::bit_cast<U>(a) == std::bit_cast<U>(b);
  } else if constexpr (Primitive<T> || String<T>) {
    return a == b;
  } else if constexpr (Vector<T> || Array<T>) {
    using V = typename T::value_type;
    if (a.size() != b.size()) return false;
    if constexpr (detail::dense<V>()) {
      // Bytewise is exactly the bit-pattern comparison wanted for floats too.
      return a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(V)) == 0;
    } else if constexpr (Bool<V>) {
      return a == b;
    } else {
      for (std::size_t i = 0; i < a.size(); ++i) {
        if (!detail::value_equal(a[i], b[i])) return false;
      }
      return true;
    }
  } else {
    return detail::fields_equal(a, b, fields_of<T>{});
  }
}

}  // namespace detail
}  // namespace copper
