// Mapping log files with 2 MiB pages where the kernel can.
//
// On a VM with shadow page tables (the machines this project is measured
// on), the first touch of every 4 KiB page of a fresh mapping costs one to
// several microseconds, even after MADV_POPULATE_WRITE and even when the
// file is in the page cache: that cost, not copying, bounded the writer and
// the replay's reads. With MADV_HUGEPAGE on a mapping whose address is
// congruent to its file offset modulo 2 MiB, Linux (6.16 and later on ext4)
// keeps the file in 2 MiB page-cache folios and maps each with one entry:
// preparing an 8 MiB slab took 1.1 ms instead of 10.6 ms
// (docs/benchmarks.md). Where the kernel, the file system or the THP
// setting does not allow it, the advice is ignored and the mapping works
// with 4 KiB pages, as before.
//
// The price: writeback works in whole folios, so syncing a few bytes writes
// back up to 2 MiB around them. The writer asks for huge pages only when it
// syncs rarely (slab_pages in writer.cpp).
#pragma once

#include <boost/interprocess/file_mapping.hpp>
#include <boost/interprocess/mapped_region.hpp>
#include <cstdint>

#include "copper/log/file.hpp"

namespace copper::log::detail {

inline constexpr uint64_t kHugePageSize = 2u << 20;

// Maps [offset, offset + length) of `file` like mapped_region's constructor
// (length 0: to the end of the file) and throws what it throws. With
// PageSize::huge the address is chosen and advised for huge pages.
boost::interprocess::mapped_region map_region(const boost::interprocess::file_mapping& file,
                                              boost::interprocess::mode_t mode, uint64_t offset, uint64_t length,
                                              PageSize pages);

}  // namespace copper::log::detail
