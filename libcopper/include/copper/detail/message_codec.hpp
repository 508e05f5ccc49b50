// Machinery of message_codec.hpp: the compile-time walks over a described
// struct that size, write, match and read the binary encoding. Not API: it
// is installed only because the public templates instantiate it, and it may
// change in any release.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <span>
#include <string_view>
#include <vector>

#include "copper/export.hpp"
#include "copper/message_traits.hpp"
#include "copper/status.hpp"

namespace copper {
namespace detail {

template <std::size_t Bytes>
struct unsigned_of_size;
template <>
struct unsigned_of_size<1> {
  using type = std::uint8_t;
};
template <>
struct unsigned_of_size<2> {
  using type = std::uint16_t;
};
template <>
struct unsigned_of_size<4> {
  using type = std::uint32_t;
};
template <>
struct unsigned_of_size<8> {
  using type = std::uint64_t;
};

// std::byteswap is C++23.
template <class U>
constexpr U swap_bytes(U value) {
  U swapped = 0;
  for (std::size_t i = 0; i < sizeof(U); ++i) {
    swapped = static_cast<U>((swapped << 8) | (value & 0xFF));
    value = static_cast<U>(value >> 8);
  }
  return swapped;
}

template <Primitive T>
inline void store(std::uint8_t* p, T value) {
  if constexpr (Bool<T>) {
    *p = value ? 1 : 0;
  } else {
    using U = typename unsigned_of_size<sizeof(T)>::type;
    U bits = std::bit_cast<U>(value);
    if constexpr (std::endian::native == std::endian::big) bits = detail::swap_bytes(bits);
    std::memcpy(p, &bits, sizeof bits);
  }
}

// Not for bool: the caller validates the byte first.
template <Primitive T>
inline T load(const std::uint8_t* p) {
  using U = typename unsigned_of_size<sizeof(T)>::type;
  U bits;
  std::memcpy(&bits, p, sizeof bits);
  if constexpr (std::endian::native == std::endian::big) bits = detail::swap_bytes(bits);
  return std::bit_cast<T>(bits);
}

// Kept out of line: it only runs for a >4 GiB string or vector.
[[noreturn]] COPPER_API void throw_too_long(std::size_t length);

inline void check_length(std::size_t length) {
  if (length > kMaxMessageLength) [[unlikely]] detail::throw_too_long(length);
}

template <class T>
std::size_t size_of_value(const T& value);

template <class T, class... D>
std::size_t size_of_fields(const T& value, boost::mp11::mp_list<D...>) {
  return (std::size_t{0} + ... + detail::size_of_value(value.*D::pointer));
}

template <class T>
std::size_t size_of_value(const T& value) {
  if constexpr (detail::fixed_size<T>()) {
    return detail::min_encoded_size<T>();
  } else if constexpr (String<T>) {
    detail::check_length(value.size());
    return 4 + value.size();
  } else if constexpr (Vector<T> || Array<T>) {
    std::size_t size = 0;
    if constexpr (Vector<T>) {
      detail::check_length(value.size());
      size = 4;
    }
    using V = typename T::value_type;
    if constexpr (detail::fixed_size<V>()) {
      size += value.size() * detail::min_encoded_size<V>();
    } else {
      for (const auto& element : value) size += detail::size_of_value(element);
    }
    return size;
  } else {
    return detail::size_of_fields(value, fields_of<T>{});
  }
}

// The encoder's walk over a message, shared by writing an encoding
// (ByteWriter) and matching a message against one (ByteMatcher): `out`
// takes primitives and runs of bytes already in their encoded form.
template <class Out, class T>
void emit_value(Out& out, const T& value);

template <class Out, class T, class... D>
void emit_fields(Out& out, const T& value, boost::mp11::mp_list<D...>) {
  (detail::emit_value(out, value.*D::pointer), ...);
}

template <class Out, class T>
void emit_value(Out& out, const T& value) {
  if constexpr (Primitive<T>) {
    out.primitive(value);
  } else if constexpr (String<T>) {
    out.primitive(static_cast<std::uint32_t>(value.size()));
    out.bytes(value.data(), value.size());
  } else if constexpr (Vector<T> || Array<T>) {
    if constexpr (Vector<T>) out.primitive(static_cast<std::uint32_t>(value.size()));
    using V = typename T::value_type;
    if constexpr (bulk_copyable<V>) {
      out.bytes(value.data(), value.size() * sizeof(V));
    } else if constexpr (Bool<V>) {
      // Also covers std::vector<bool>, whose elements are proxies.
      for (bool element : value) out.primitive(element);
    } else {
      for (const auto& element : value) detail::emit_value(out, element);
    }
  } else {
    detail::emit_fields(out, value, fields_of<T>{});
  }
}

// Writes at `p`, which the caller has sized with size_of_value.
struct ByteWriter {
  std::uint8_t* p;

  template <Primitive T>
  void primitive(T value) {
    detail::store(p, value);
    p += width<T>;
  }
  void bytes(const void* data, std::size_t n) {
    if (n != 0) std::memcpy(p, data, n);
    p += n;
  }
};

// Compares with [p, end) what a ByteWriter would write; `same` turns false
// at the first difference or when the bytes run out.
struct ByteMatcher {
  const std::uint8_t* p;
  const std::uint8_t* end;
  bool same = true;

  template <Primitive T>
  void primitive(T value) {
    std::uint8_t encoded[width<T>];
    detail::store(encoded, value);
    bytes(encoded, width<T>);
  }
  void bytes(const void* data, std::size_t n) {
    if (!same) return;
    if (static_cast<std::size_t>(end - p) < n) {
      same = false;
      return;
    }
    same = n == 0 || std::memcmp(p, data, n) == 0;
    p += n;
  }
};

// What went wrong in a decode; turned into a message only at the end, and
// only on failure.
struct DecodeFailure {
  enum class Kind : std::uint8_t { none, truncated, too_long, bad_bool, trailing };
  Kind kind = Kind::none;
  std::size_t offset = 0;     // where the offending item starts
  std::size_t needed = 0;     // bytes the item needs
  std::size_t remaining = 0;  // bytes that were left for it
  std::uint64_t value = 0;    // the bad bool byte, the absurd count, ...
  const char* what = "";      // "f64", "vector count", ...
  std::vector<PathStep> path;
};

// Bounds-checked cursor over the input, shared by the typed decoder and the
// generic one (message.cpp) so both reject the same bytes the same way.
class COPPER_API Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> bytes) noexcept : bytes_(bytes) {}

  std::size_t offset() const { return pos_; }
  std::size_t remaining() const { return bytes_.size() - pos_; }

  // nullptr (and a recorded failure) when fewer than n bytes remain.
  const std::uint8_t* take(std::size_t n, const char* what) {
    if (n > remaining()) [[unlikely]] {
      fail(DecodeFailure::Kind::truncated, pos_, n, remaining(), what);
      return nullptr;
    }
    const std::uint8_t* p = bytes_.data() + pos_;
    pos_ += n;
    return p;
  }

  template <Primitive T>
  bool read(T& out) {
    const std::uint8_t* p = take(width<T>, detail::primitive_name<T>());
    if (p == nullptr) return false;
    if constexpr (Bool<T>) {
      if (*p > 1) [[unlikely]] {
        fail(DecodeFailure::Kind::bad_bool, pos_ - 1, 1, remaining() + 1, "bool", *p);
        return false;
      }
      out = *p != 0;
    } else {
      out = detail::load<T>(p);
    }
    return true;
  }

  // A u32 count of items that encode to at least min_item bytes each
  // (min_item > 0), rejected unless that many could fit in what remains.
  bool read_count(std::uint32_t& count, std::size_t min_item, const char* what) {
    const std::size_t at = pos_;
    const std::uint8_t* p = take(4, what);
    if (p == nullptr) return false;
    count = detail::load<std::uint32_t>(p);
    if (count > remaining() / min_item) [[unlikely]] {
      // Saturate: a generic schema's element size may be astronomically large.
      const std::size_t max = std::numeric_limits<std::size_t>::max();
      const std::size_t needed = min_item > max / count ? max : count * min_item;
      fail(DecodeFailure::Kind::too_long, at, needed, remaining(), what, count);
      return false;
    }
    return true;
  }

  bool expect_end() {
    if (remaining() == 0) return true;
    fail(DecodeFailure::Kind::trailing, pos_, 0, remaining(), "", remaining());
    return false;
  }

  // Called while a failure unwinds, innermost step first.
  void add_field(const char* name) { failure_.path.push_back({name, 0}); }
  void add_index(std::size_t index) { failure_.path.push_back({nullptr, index}); }

  const DecodeFailure& failure() const { return failure_; }

 private:
  void fail(DecodeFailure::Kind kind, std::size_t offset, std::size_t needed, std::size_t remaining,
            const char* what, std::uint64_t value = 0) {
    failure_.kind = kind;
    failure_.offset = offset;
    failure_.needed = needed;
    failure_.remaining = remaining;
    failure_.what = what;
    failure_.value = value;
  }

  std::span<const std::uint8_t> bytes_;
  std::size_t pos_ = 0;
  DecodeFailure failure_;
};

// "decode <type_name>: <what happened>".
COPPER_API Status decode_status(const DecodeFailure& failure, std::string_view type_name);

template <class T>
bool read_value(Reader& reader, T& value);

template <class D, class T>
bool read_field(Reader& reader, T& value) {
  if (detail::read_value(reader, value.*D::pointer)) [[likely]] return true;
  reader.add_field(D::name);
  return false;
}

template <class T, class... D>
bool read_fields(Reader& reader, T& value, boost::mp11::mp_list<D...>) {
  return (detail::read_field<D>(reader, value) && ...);
}

template <class T>
bool read_elements(Reader& reader, T& elements) {
  using V = typename T::value_type;
  if constexpr (bulk_copyable<V>) {
    const std::size_t bytes = elements.size() * sizeof(V);
    // When short, fall through to the element loop so the error names the
    // element where the bytes ran out, as on hosts without the bulk path.
    if (bytes <= reader.remaining()) {
      const std::uint8_t* p = reader.take(bytes, "");
      if (bytes != 0) std::memcpy(elements.data(), p, bytes);
      return true;
    }
  }
  for (std::size_t i = 0; i < elements.size(); ++i) {
    bool ok;
    if constexpr (Bool<V>) {
      // std::vector<bool> hands out proxies, not bool&.
      bool element = false;
      ok = reader.read(element);
      if (ok) elements[i] = element;
    } else {
      ok = detail::read_value(reader, elements[i]);
    }
    if (!ok) [[unlikely]] {
      reader.add_index(i);
      return false;
    }
  }
  return true;
}

template <class T>
bool read_value(Reader& reader, T& value) {
  if constexpr (Primitive<T>) {
    return reader.read(value);
  } else if constexpr (String<T>) {
    std::uint32_t length = 0;
    if (!reader.read_count(length, 1, "string length")) return false;
    const std::uint8_t* p = reader.take(length, "string bytes");
    value.assign(reinterpret_cast<const char*>(p), length);
    return true;
  } else if constexpr (Vector<T>) {
    std::uint32_t count = 0;
    if (!reader.read_count(count, detail::min_encoded_size<typename T::value_type>(), "vector count")) return false;
    value.resize(count);
    return detail::read_elements(reader, value);
  } else if constexpr (Array<T>) {
    return detail::read_elements(reader, value);
  } else {
    return detail::read_fields(reader, value, fields_of<T>{});
  }
}

}  // namespace detail
}  // namespace copper
