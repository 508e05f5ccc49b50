// Joining words into one line of a message. Not fmt::join: with asserts on
// at -O3, g++ 12 warns (-Wstringop-overflow, a false positive) inside the
// run-time spec parsing fmt 9 does for joined strings, which would break a
// parent project building copper as a subproject with -Werror.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace copper::detail {

inline std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out.append(separator);
    out.append(item);
  }
  return out;
}

}  // namespace copper::detail
