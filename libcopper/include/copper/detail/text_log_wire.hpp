// Machinery of text_log.hpp: what a CU_INFO call site compiles to, writing
// one entry of the text payload (docs/log-format.md) into its copperlist's
// buffer. Not API: it is installed only because the public templates instantiate
// it, and it may change in any release.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>

#include <fmt/core.h>

#include "copper/log/format.hpp"
#include "copper/task.hpp"
#include "copper/text_log.hpp"  // TextLogBuffer

namespace copper {
namespace detail {

inline constexpr size_t kTextEntryHeaderSize = 20;
inline constexpr size_t kTextMaxArgsLength = 0xFFFF;

template <class T>
inline constexpr bool is_text_char_type_v =
    std::is_same_v<T, char> || std::is_same_v<T, wchar_t> || std::is_same_v<T, char8_t> ||
    std::is_same_v<T, char16_t> || std::is_same_v<T, char32_t>;

// Arguments are first reduced to one of the seven wire types, so sizing and
// writing each see a value of known layout and strlen runs once per C string.
template <class Raw>
inline auto to_wire_arg(const Raw& value) {
  using T = std::remove_cv_t<std::decay_t<Raw>>;
  if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, char> || std::is_same_v<T, float> ||
                std::is_same_v<T, double>) {
    return T(value);
  } else if constexpr (std::is_integral_v<T>) {
    static_assert(!is_text_char_type_v<T>, "text log: wide and unicode characters are not supported");
    static_assert(sizeof(T) <= 8, "text log: integers wider than 64 bits are not supported");
    if constexpr (std::is_signed_v<T>) {
      return int64_t(value);
    } else {
      return uint64_t(value);
    }
  } else if constexpr (std::is_same_v<T, const char*> || std::is_same_v<T, char*>) {
    // fmt throws on a null C string; the log records a visible marker instead.
    const char* s = value;
    return s != nullptr ? std::string_view(s) : std::string_view("(null)");
  } else if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, std::string_view>) {
    return std::string_view(value);
  } else {
    static_assert(sizeof(T) == 0,
                  "text log: arguments must be bool, integers, char, float, double, "
                  "const char*, std::string or std::string_view");
  }
}

template <class W>
constexpr size_t wire_size(const W& value) {
  if constexpr (std::is_same_v<W, std::string_view>) {
    return 1 + 4 + value.size();
  } else {
    return 1 + sizeof(W);
  }
}

template <class W>
inline uint8_t* put_wire_arg(uint8_t* p, const W& value) {
  using log::ArgTag;
  if constexpr (std::is_same_v<W, bool>) {
    p[0] = uint8_t(ArgTag::boolean);
    p[1] = value ? 1 : 0;
    return p + 2;
  } else if constexpr (std::is_same_v<W, char>) {
    p[0] = uint8_t(ArgTag::character);
    std::memcpy(p + 1, &value, 1);
    return p + 2;
  } else if constexpr (std::is_same_v<W, std::string_view>) {
    p[0] = uint8_t(ArgTag::string);
    log::store_le<uint32_t>(p + 1, uint32_t(value.size()));
    if (!value.empty()) std::memcpy(p + 5, value.data(), value.size());
    return p + 5 + value.size();
  } else {
    constexpr ArgTag tag = std::is_same_v<W, int64_t>    ? ArgTag::i64
                           : std::is_same_v<W, uint64_t> ? ArgTag::u64
                           : std::is_same_v<W, double>   ? ArgTag::f64
                                                         : ArgTag::f32;
    p[0] = uint8_t(tag);
    log::store_le<W>(p + 1, value);
    return p + 1 + sizeof(W);
  }
}

template <class... W>
inline void write_wire_entry(TextLogBuffer& buffer, const Context& ctx, uint32_t string_id,
                             log::TextLevel level, const W&... args) {
  const size_t args_length = (size_t{0} + ... + wire_size(args));
  if (args_length > kTextMaxArgsLength) {
    buffer.count_drop();
    return;
  }
  uint8_t* p = buffer.reserve(kTextEntryHeaderSize + args_length);
  if (p == nullptr) return;
  log::store_le<uint64_t>(p, ctx.cl_id());
  log::store_le<uint32_t>(p + 8, ctx.task_index());
  log::store_le<uint32_t>(p + 12, string_id);
  p[16] = uint8_t(level);
  p[17] = uint8_t(sizeof...(W));
  log::store_le<uint16_t>(p + 18, uint16_t(args_length));
  p += kTextEntryHeaderSize;
  ((p = put_wire_arg(p, args)), ...);
}

// The format_string parameter is what makes a format/argument mismatch a
// compile error; the string itself was registered by the macro.
template <class... Args>
inline void write_text_entry(TextLogBuffer& buffer, const Context& ctx, uint32_t string_id,
                             log::TextLevel level, fmt::format_string<const Args&...>,
                             const Args&... args) {
  static_assert(sizeof...(Args) <= 255, "text log: at most 255 arguments per entry");
  write_wire_entry(buffer, ctx, string_id, level, to_wire_arg(args)...);
}

}  // namespace detail
}  // namespace copper
