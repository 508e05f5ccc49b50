// Small text helpers the library's messages and metadata share, each
// written once.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "copper/status.hpp"

namespace copper::detail {

// Words joined into one line of a message. Not fmt::join: with asserts on
// at -O3, g++ 12 warns (-Wstringop-overflow, a false positive) inside the
// run-time spec parsing fmt 9 does for joined strings, which would break a
// parent project building copper as a subproject with -Werror.
inline std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out.append(separator);
    out.append(item);
  }
  return out;
}

// Bytes as lowercase hex digits, two a byte (run ids).
inline std::string hex(std::span<const uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xF]);
  }
  return out;
}

// An error Status with an fmt-formatted message: of no specific kind, or
// of the kind given first.
template <class... Args>
Status fail(fmt::format_string<Args...> format, Args&&... args) {
  return Status::error(fmt::format(format, std::forward<Args>(args)...));
}
template <class... Args>
Status fail(StatusCode code, fmt::format_string<Args...> format, Args&&... args) {
  return Status::with_code(code, fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace copper::detail
