#include "cli_values.hpp"

#include <charconv>
#include <cstdint>
#include <cstdlib>

#include "copper/config.hpp"
#include "copper/log/policy.hpp"

namespace copper::cli {
namespace {

// The whole of `text` as a double; false when any of it is not a number.
bool whole_double(const std::string& text, double& out) {
  if (text.empty()) return false;
  char* end = nullptr;
  out = std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size();
}

CLI::Validator seconds_or_rate(const char* name, std::string (*problem)(double)) {
  return CLI::Validator(
      [problem](std::string& text) -> std::string {
        double value = 0;
        if (!whole_double(text, value)) return "\"" + text + "\" is not a number";
        return problem(value);
      },
      "NUMBER", name);
}

}  // namespace

CLI::Validator whole_number() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        const bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
        if (!digits) return "\"" + text + "\" is not a whole number (decimal digits only)";
        text.erase(0, std::min(text.find_first_not_of('0'), text.size() - 1));
        uint64_t value = 0;
        const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (error != std::errc()) return text + " is past the largest value, " + std::to_string(UINT64_MAX);
        return {};
      },
      "UINT", "whole number");
}

CLI::Validator duration_seconds() { return seconds_or_rate("seconds", duration_s_problem); }
CLI::Validator rate_hz() { return seconds_or_rate("cycles per second", rate_hz_problem); }

CLI::Validator fsync_policy() {
  return CLI::Validator([](std::string& text) { return std::string(log::FsyncPolicy::parse(text).error_message()); },
                        "POLICY", "fsync policy");
}

CLI::Validator compression() {
  return CLI::Validator([](std::string& text) { return std::string(log::Compression::parse(text).error_message()); },
                        "COMPRESSION", "compression");
}

}  // namespace copper::cli
