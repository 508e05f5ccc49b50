// Machinery of text_log.hpp: what a CU_INFO call site compiles to: its
// arguments reduced to tagged values, handed to the library, which writes
// one entry of the text payload (docs/log-format.md) into the copperlist's
// buffer. Not API: it is installed only because the public templates instantiate
// it, and it may change in any release.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include <fmt/core.h>

#include "copper/log/format.hpp"
#include "copper/task.hpp"
#include "copper/text_log.hpp"  // TextLogBuffer

namespace copper {
namespace detail {

// One argument reduced to the wire type it is logged as. Strings are views
// of the caller's bytes, valid for the call. The library lays the entry out
// (src/log/layout.hpp), so a format change does not need task libraries
// rebuilt; only this struct is shared with them.
struct TextArg {
  struct Chars {
    const char* data;
    size_t size;
  };
  log::ArgTag tag;
  union {
    bool boolean;
    char character;
    int64_t i64;
    uint64_t u64;
    double f64;
    float f32;
    Chars string;
  };
};

template <class T>
inline constexpr bool is_text_char_type_v =
    std::is_same_v<T, char> || std::is_same_v<T, wchar_t> || std::is_same_v<T, char8_t> ||
    std::is_same_v<T, char16_t> || std::is_same_v<T, char32_t>;

inline TextArg text_arg_of(std::string_view s) {
  TextArg arg{log::ArgTag::string, {}};
  arg.string = {s.data(), s.size()};
  return arg;
}

// Arguments are reduced to one of the seven wire types; strlen runs once per
// C string.
template <class Raw>
inline TextArg to_text_arg(const Raw& value) {
  using T = std::remove_cv_t<std::decay_t<Raw>>;
  TextArg arg{log::ArgTag::boolean, {}};
  if constexpr (std::is_same_v<T, bool>) {
    arg.boolean = value;
  } else if constexpr (std::is_same_v<T, char>) {
    arg.tag = log::ArgTag::character;
    arg.character = value;
  } else if constexpr (std::is_same_v<T, float>) {
    arg.tag = log::ArgTag::f32;
    arg.f32 = value;
  } else if constexpr (std::is_same_v<T, double>) {
    arg.tag = log::ArgTag::f64;
    arg.f64 = value;
  } else if constexpr (std::is_integral_v<T>) {
    static_assert(!is_text_char_type_v<T>, "text log: wide and unicode characters are not supported");
    static_assert(sizeof(T) <= 8, "text log: integers wider than 64 bits are not supported");
    if constexpr (std::is_signed_v<T>) {
      arg.tag = log::ArgTag::i64;
      arg.i64 = int64_t(value);
    } else {
      arg.tag = log::ArgTag::u64;
      arg.u64 = uint64_t(value);
    }
  } else if constexpr (std::is_same_v<T, const char*> || std::is_same_v<T, char*>) {
    // fmt throws on a null C string; the log records a visible marker instead.
    const char* s = value;
    return text_arg_of(s != nullptr ? std::string_view(s) : std::string_view("(null)"));
  } else if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, std::string_view>) {
    return text_arg_of(std::string_view(value));
  } else {
    static_assert(sizeof(T) == 0,
                  "text log: arguments must be bool, integers, char, float, double, "
                  "const char*, std::string or std::string_view");
  }
  return arg;
}

// Appends one entry of the text payload to the buffer, or counts it dropped
// when it does not fit (or its arguments exceed the entry's u16 length).
// Out of line on purpose: the entry's bytes are the library's business.
COPPER_API void append_text_entry(TextLogBuffer& buffer, const Context& ctx, uint32_t string_id, log::TextLevel level,
                                  const TextArg* args, size_t arg_count);

// The format_string parameter is what makes a format/argument mismatch a
// compile error; the string itself was registered by the macro.
template <class... Args>
inline void write_text_entry(TextLogBuffer& buffer, const Context& ctx, uint32_t string_id,
                             log::TextLevel level, fmt::format_string<const Args&...>,
                             const Args&... args) {
  static_assert(sizeof...(Args) <= 255, "text log: at most 255 arguments per entry");
  if constexpr (sizeof...(Args) == 0) {
    append_text_entry(buffer, ctx, string_id, level, nullptr, 0);
  } else {
    const TextArg wire[] = {to_text_arg(args)...};
    append_text_entry(buffer, ctx, string_id, level, wire, sizeof...(Args));
  }
}

}  // namespace detail
}  // namespace copper
