// Keeps a file truncated under its mapping from killing the process.
//
// Touching a page of a file mapping that now lies past the end of the file
// raises SIGBUS, whose default action ends the process: another process
// truncating a log while it is written or read would kill the writer or
// the reader, losing what the writer had not yet made durable. The writer's
// and the reader's mappings are registered here (a BusGuard lives as long
// as its mapping). On SIGBUS at an address inside a registered range, the
// handler maps an anonymous zero page over the faulting page (MAP_FIXED),
// so the faulting access completes and the program goes on, and it raises
// the flag the range was registered with; the owner reports the truncation
// where it can (the writer: as a failure at its next slab switch and at
// close). A SIGBUS anywhere else goes to the handler installed before, or
// ends the process as by default.
//
// The handler reads a fixed table of atomics: no lock, no allocation.
// Ranges past the table's size are left unguarded (a mapping beyond the
// 256th at once); nothing in copper maps that many.
#pragma once

#include <atomic>
#include <cstddef>

namespace copper::log::detail {

class BusGuard {
 public:
  static constexpr size_t kSlots = 256;

  // Guards [begin, begin + length); a SIGBUS there sets *truncated.
  BusGuard(const void* begin, size_t length, std::atomic<bool>* truncated);
  ~BusGuard();
  BusGuard(const BusGuard&) = delete;
  BusGuard& operator=(const BusGuard&) = delete;

 private:
  int slot_ = -1;  // -1: the table was full
};

}  // namespace copper::log::detail
