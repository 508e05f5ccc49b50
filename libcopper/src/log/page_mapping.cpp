#include "page_mapping.hpp"

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>

namespace copper::log::detail {

namespace bip = boost::interprocess;

namespace {

uint64_t align_up(uint64_t value, uint64_t alignment) { return (value + alignment - 1) & ~(alignment - 1); }

uint64_t length_to_end(const bip::file_mapping& file, uint64_t offset) {
  struct stat st {};
  if (::fstat(file.get_mapping_handle().handle, &st) != 0 || static_cast<uint64_t>(st.st_size) <= offset) return 0;
  return static_cast<uint64_t>(st.st_size) - offset;
}

}  // namespace

bip::mapped_region map_region(const bip::file_mapping& file, bip::mode_t mode, uint64_t offset, uint64_t length,
                              PageSize pages) {
  const auto file_offset = static_cast<bip::offset_t>(offset);
  if (pages == PageSize::normal) return bip::mapped_region(file, mode, file_offset, length);
  if (length == 0) length = length_to_end(file, offset);
  if (length == 0) return bip::mapped_region(file, mode, file_offset, length);  // let it report the error
  // Reserve enough address space to find a suitably placed start in it, map
  // the file over that part (MAP_FIXED replaces only this reservation, which
  // no one else can hold), then give back the rest.
  static const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  const uint64_t mapped_length = align_up(length, page);
  const uint64_t reserved_length = mapped_length + 2 * kHugePageSize;
  void* reserved = ::mmap(nullptr, reserved_length, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (reserved == MAP_FAILED) return bip::mapped_region(file, mode, file_offset, length);
  const auto base = reinterpret_cast<uintptr_t>(reserved);
  const uintptr_t start = align_up(base, kHugePageSize) + offset % kHugePageSize;
  bip::mapped_region region;
  try {
    region = bip::mapped_region(file, mode, file_offset, length, reinterpret_cast<void*>(start), MAP_FIXED);
  } catch (...) {
    ::munmap(reserved, reserved_length);
    throw;
  }
  if (start > base) ::munmap(reserved, start - base);
  const uintptr_t end = start + mapped_length;
  if (base + reserved_length > end) ::munmap(reinterpret_cast<void*>(end), base + reserved_length - end);
#ifdef MADV_HUGEPAGE
  (void)::madvise(reinterpret_cast<void*>(start), mapped_length, MADV_HUGEPAGE);
#endif
  return region;
}

}  // namespace copper::log::detail
