// The binary encoding of messages, and the content hash built on it.
//
// Layout, little-endian, no padding, no tags:
//   bool                 1 byte, 0 or 1
//   integers, floats     fixed width (floats as IEEE-754 bit patterns)
//   std::string          u32 byte length, then the bytes
//   std::vector<T>       u32 element count, then the elements
//   std::array<T, N>     the N elements, no prefix
//   struct               its fields in declaration order (base members first)
// The layout carries no type information: reading it needs the C++ type or
// its schema (message_schema.hpp).
//
// decode() is strict, because its input may come from a file or the network:
// it consumes every byte, rejects bools other than 0/1, and checks each length
// prefix against the bytes left before allocating. It reuses the capacity of
// the strings and vectors already in `out`. On error `out` is valid but holds
// an unspecified mix of old and new values.
//
// Error messages say what went wrong, where, and in which field:
//   "decode rover::Imu: truncated at byte 12 in pose.x: need 8 bytes for f64, 3 remain"
//   "decode rover::Scan: vector count 4294967295 at byte 8 in ranges needs at least
//    17179869180 bytes, 3 remain"
//   "decode rover::Imu: invalid bool byte 0x07 at byte 4 in valid (expected 0 or 1)"
//   "decode rover::Imu: 1 trailing bytes at byte 40"
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <span>
#include <string_view>
#include <vector>

#include "copper/detail/message_codec.hpp"
#include "copper/export.hpp"
#include "copper/message_traits.hpp"
#include "copper/status.hpp"

namespace copper {

// Bytes encode(msg, ...) appends.
// Throws std::length_error if a string or vector exceeds 2^32-1 elements.
template <Message T>
std::size_t encoded_size(const T& msg) {
  return detail::size_of_value(msg);
}

// Writes encode(msg)'s bytes at `out`, which has room for encoded_size(msg)
// of them: for a caller that places the encoding itself (the log writer
// encodes straight into its file mapping).
template <Message T>
void encode_into(const T& msg, std::uint8_t* out) {
  detail::ByteWriter writer{out};
  detail::emit_value(writer, msg);
}

// Appends the encoding of msg to out; with enough capacity in out, nothing is
// allocated. Throws std::length_error (appending nothing) if a string or
// vector exceeds 2^32-1 elements.
template <Message T>
void encode(const T& msg, std::vector<std::uint8_t>& out) {
  const std::size_t size = copper::encoded_size(msg);
  const std::size_t start = out.size();
  out.resize(start + size);
  copper::encode_into(msg, out.data() + start);
}

// True when encode(msg) would produce exactly `bytes`, found without
// encoding: one pass that reads both and writes nothing. A replay checks
// every re-executed output against the recording this way.
template <Message T>
bool matches_encoding(const T& msg, std::span<const std::uint8_t> bytes) {
  detail::ByteMatcher matcher{bytes.data(), bytes.data() + bytes.size()};
  detail::emit_value(matcher, msg);
  return matcher.same && matcher.p == matcher.end;
}

// Decodes exactly `bytes` (one whole message) into out.
template <Message T>
Status decode(std::span<const std::uint8_t> bytes, T& out) {
  detail::Reader reader(bytes);
  if (detail::read_value(reader, out) && reader.expect_end()) [[likely]] return Status();
  return detail::decode_status(reader.failure(), copper::type_name<T>());
}

// XXH3_64bits (seed 0) of the bytes. For an encoded message this is its
// content hash: stable across runs, hosts and builds, since the encoding is.
COPPER_API std::uint64_t content_hash(std::span<const std::uint8_t> bytes);

namespace detail {
// Per-thread buffer for content_hash, so hashing allocates only while a
// thread's largest message is still growing.
COPPER_API std::vector<std::uint8_t>& hash_scratch();
}  // namespace detail

// content_hash of encode(msg): equal encodings, equal hashes. Floats hash by
// bit pattern, so 0.0 and -0.0 differ and a NaN equals itself.
template <Message T>
std::uint64_t content_hash(const T& msg) {
  std::vector<std::uint8_t>& buffer = detail::hash_scratch();
  buffer.clear();
  copper::encode(msg, buffer);
  return copper::content_hash(std::span<const std::uint8_t>(buffer));
}

}  // namespace copper
