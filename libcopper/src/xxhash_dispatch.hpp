// XXH3 for the library: through libxxhash's runtime CPU dispatch on x86-64,
// which gives the same hash values computed with AVX2 or AVX-512 when the
// CPU has them (over 4x the SSE2 code of the plain entry points on this
// project's machines). Log checksums and replay comparisons hash every
// byte, so this matters. Other CPUs use the plain functions.
#pragma once

#include <cstddef>
#include <cstdint>

#include <xxhash.h>

#if defined(__x86_64__)
#include <xxh_x86dispatch.h>
#endif

namespace copper::detail {

// Debian's libxxhash 0.8.1 returns from its AVX code with the upper halves
// of the vector registers dirty (no vzeroupper), and every SSE instruction
// after that pays a transition penalty: a 16 KiB SSE filter ran 3.5x slower
// after each 16 KiB hash. vzeroupper keeps the low 128 bits, the only ones
// code built for SSE uses.
inline void clean_upper_vector_state() {
#if defined(__x86_64__)
  static const bool has_avx = __builtin_cpu_supports("avx");
  if (has_avx) asm volatile("vzeroupper" ::: "memory");
#endif
}

inline uint64_t xxh3(const void* data, size_t size) {
  const uint64_t hash = XXH3_64bits(data, size);
  clean_upper_vector_state();
  return hash;
}

inline uint64_t xxh3(const void* data, size_t size, uint64_t seed) {
  const uint64_t hash = XXH3_64bits_withSeed(data, size, seed);
  clean_upper_vector_state();
  return hash;
}

}  // namespace copper::detail
