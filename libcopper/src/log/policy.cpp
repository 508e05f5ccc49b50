#include "copper/log/policy.hpp"

#include <fmt/format.h>

#include <charconv>
#include <optional>

namespace copper::log {
namespace {

template <class T>
std::optional<T> parse_number(std::string_view text, std::string_view& rest) {
  T value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc()) return std::nullopt;
  rest = text.substr(static_cast<size_t>(end - text.data()));
  return value;
}

std::optional<uint64_t> parse_byte_size(std::string_view text) {
  std::string_view unit;
  auto value = parse_number<uint64_t>(text, unit);
  if (!value || *value == 0) return std::nullopt;
  unsigned shift = 0;
  if (unit == "KiB") shift = 10;
  else if (unit == "MiB") shift = 20;
  else if (unit == "GiB") shift = 30;
  else if (!unit.empty() && unit != "B") return std::nullopt;
  if (*value > (UINT64_MAX >> shift)) return std::nullopt;
  return *value << shift;
}

std::string format_byte_size(uint64_t n) {
  if (n % (1u << 30) == 0) return fmt::format("{}GiB", n >> 30);
  if (n % (1u << 20) == 0) return fmt::format("{}MiB", n >> 20);
  if (n % (1u << 10) == 0) return fmt::format("{}KiB", n >> 10);
  return std::to_string(n);
}

}  // namespace

Result<FsyncPolicy> FsyncPolicy::parse(std::string_view text) {
  if (text == "none") return none();
  if (text == "commit") return commit();
  if (text.starts_with("bytes:")) {
    if (auto n = parse_byte_size(text.substr(6))) return every_bytes(*n);
  } else if (text.starts_with("interval:")) {
    std::string_view rest;
    auto ms = parse_number<uint64_t>(text.substr(9), rest);
    if (ms && *ms > 0 && *ms <= kMaxIntervalMs && rest.empty()) return every_ms(*ms);
  }
  return Status::error(
      fmt::format("bad fsync policy \"{}\" (none, commit, bytes:N[KiB|MiB|GiB], interval:MS with MS from 1 to {})",
                  text, kMaxIntervalMs));
}

std::string FsyncPolicy::to_string() const {
  switch (kind) {
    case Kind::none: return "none";
    case Kind::commit: return "commit";
    case Kind::bytes: return "bytes:" + format_byte_size(bytes);
    case Kind::interval: return fmt::format("interval:{}", interval_ms);
  }
  return "none";
}

Result<Compression> Compression::parse(std::string_view text) {
  if (text == "none") return none();
  if (text == "zstd") return zstd();
  if (text.starts_with("zstd:")) {
    std::string_view rest;
    auto level = parse_number<int>(text.substr(5), rest);
    if (level && rest.empty() && *level >= 1 && *level <= 22) return zstd(*level);
  }
  return Status::error(fmt::format("bad compression \"{}\" (none, zstd, zstd:1..22)", text));
}

Result<uint64_t> parse_slab_size(std::string_view text) {
  const std::optional<uint64_t> bytes = parse_byte_size(text);
  if (bytes && *bytes >= kMinSlabSize && *bytes <= kMaxSlabSize && (*bytes & (*bytes - 1)) == 0) return *bytes;
  return Status::invalid_argument(fmt::format("bad slab size \"{}\" ({})", text, kSlabSizeRule));
}

std::string slab_size_to_string(uint64_t bytes) { return format_byte_size(bytes); }

std::string Compression::to_string() const {
  return kind == Kind::none ? "none" : fmt::format("zstd:{}", level);
}

}  // namespace copper::log
