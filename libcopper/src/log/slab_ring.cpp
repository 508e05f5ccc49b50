#include "slab_ring.hpp"

#include <sys/mman.h>

namespace copper::log::detail {

namespace {

// Takes the first-write costs of a fresh slab here rather than on the
// commit path. MADV_POPULATE_WRITE (Linux 5.14) makes the kernel's page
// tables in one call; a store to each page (the zero already there) then
// also pays what a VM with shadow page tables charges for a page's first
// touch, a few microseconds here, which populate alone leaves to the first
// memcpy of the commit path (64 B records, policy none: 1.0-1.2 M records/s
// with populate alone, 2.0-2.3 M with the touch, docs/benchmarks.md).
// Older kernels get the touch alone.
void prefault(const Mapping& mapping) {
#ifdef MADV_POPULATE_WRITE
  (void)madvise(mapping.data(), mapping.size(), MADV_POPULATE_WRITE);
#endif
  constexpr uint64_t kPage = 4096;
  auto* bytes = reinterpret_cast<volatile uint8_t*>(mapping.data());
  for (uint64_t at = 0; at < mapping.size(); at += kPage) bytes[at] = 0;
}

}  // namespace

SlabRing::SlabRing(LogFile& file, uint64_t slab_size, PageSize pages, bool writeback_on_retire, Hooks hooks)
    : file_(file),
      slab_size_(slab_size),
      pages_(pages),
      writeback_on_retire_(writeback_on_retire),
      hooks_(std::move(hooks)) {}

SlabRing::~SlabRing() {
  stop();
  unmap_all();
}

Status SlabRing::prepare(uint64_t slab) {
  Status status = file_.reserve((slab + 1) * slab_size_);
  if (!status.ok()) return status;
  auto mapping = file_.map(slab * slab_size_, slab_size_, pages_);
  if (!mapping.ok()) return mapping.status();
  prefault(**mapping);
  ring_[slab % kRingSlabs].store(mapping->release(), std::memory_order_release);
  prepared_.store(slab + 1, std::memory_order_release);
  return {};
}

void SlabRing::start() {
  thread_ = std::thread([this] { loop(); });
}

void SlabRing::stop() {
  stopping_.store(true, std::memory_order_release);
  wake_.release();
  if (thread_.joinable()) thread_.join();
}

void SlabRing::unmap_all() {
  for (auto& slot : ring_) delete slot.exchange(nullptr, std::memory_order_acq_rel);
}

std::optional<Status> SlabRing::failure() const {
  if (!failed_.load(std::memory_order_acquire)) return std::nullopt;
  std::lock_guard lock(failure_mutex_);
  return failure_;
}

void SlabRing::entered(uint64_t slab) {
  writer_slab_.store(slab, std::memory_order_release);
  wake_.release();
}

void SlabRing::retire_below(uint64_t end) {
  uint64_t seen = retire_below_.load(std::memory_order_relaxed);
  while (seen < end && !retire_below_.compare_exchange_weak(seen, end, std::memory_order_release)) {
  }
}

void SlabRing::notify() {
  events_.fetch_add(1, std::memory_order_release);
  events_.notify_all();
}

// Unmaps slabs the appending thread has left once they may be retired.
// Without a flusher, starts writing each slab back as it leaves: otherwise
// the whole log stays dirty in memory until the final fdatasync, which then
// waits for all of it at close (a third of a 64 B record benchmark's time),
// and a long run meets the kernel's dirty-page throttling in its page
// faults. A failure there is left to that fdatasync to report. True when
// the ring has room for another slab.
bool SlabRing::retire(uint64_t& oldest) {
  const uint64_t writer = writer_slab_.load(std::memory_order_acquire);
  const uint64_t below = retire_below_.load(std::memory_order_acquire);
  while (oldest < writer && (oldest + 1) * slab_size_ <= below) {
    delete ring_[oldest % kRingSlabs].exchange(nullptr, std::memory_order_acq_rel);
    if (writeback_on_retire_) (void)file_.start_writeback(oldest * slab_size_, slab_size_);
    ++oldest;
  }
  return prepared_.load(std::memory_order_relaxed) - oldest < kRingSlabs;
}

// Keeps kSpareSlabs slabs reserved, mapped and prefaulted ahead of the
// appending thread.
void SlabRing::loop() {
  uint64_t oldest = 0;
  bool failed = false;
  for (;;) {
    const bool room = retire(oldest);
    const uint64_t next = prepared_.load(std::memory_order_relaxed);
    const bool wanted = !failed && next <= writer_slab_.load(std::memory_order_acquire) + kSpareSlabs;
    if (wanted && room) {
      Status status = prepare(next);
      if (!status.ok()) {
        failed = true;
        std::lock_guard lock(failure_mutex_);
        failure_ = std::move(status);
        failed_.store(true, std::memory_order_release);
      }
      notify();
      continue;
    }
    if (wanted && hooks_.ring_full) hooks_.ring_full();
    if (stopping_.load(std::memory_order_acquire)) return;
    wake_.acquire();
  }
}

}  // namespace copper::log::detail
