#include "bus_guard.hpp"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <mutex>

namespace copper::log::detail {

namespace {

// A slot is free when `begin` is 0; registering claims it by a
// compare-exchange from 0 to kClaimed, then publishes the range.
constexpr uintptr_t kClaimed = 1;

struct Slot {
  std::atomic<uintptr_t> begin{0};
  std::atomic<uintptr_t> end{0};
  std::atomic<std::atomic<bool>*> truncated{nullptr};
};

std::array<Slot, BusGuard::kSlots> slots;
struct sigaction previous_action {};

// Maps a zero page over the faulting page of a guarded range; false when
// the address is in none.
bool absorb(uintptr_t address) {
  static const uintptr_t page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  for (Slot& slot : slots) {
    const uintptr_t begin = slot.begin.load(std::memory_order_acquire);
    if (begin <= kClaimed || address < begin || address >= slot.end.load(std::memory_order_relaxed)) continue;
    void* at = reinterpret_cast<void*>(address & ~(page - 1));
    if (::mmap(at, page, PROT_READ | PROT_WRITE, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED)
      return false;
    if (std::atomic<bool>* flag = slot.truncated.load(std::memory_order_relaxed)) flag->store(true);
    return true;
  }
  return false;
}

void on_sigbus(int signal, siginfo_t* info, void* context) {
  if (absorb(reinterpret_cast<uintptr_t>(info->si_addr))) return;
  if ((previous_action.sa_flags & SA_SIGINFO) != 0 && previous_action.sa_sigaction != nullptr) {
    previous_action.sa_sigaction(signal, info, context);
    return;
  }
  if (previous_action.sa_handler != SIG_DFL && previous_action.sa_handler != SIG_IGN) {
    previous_action.sa_handler(signal);
    return;
  }
  // Not ours: the default action, when the access is retried on return.
  ::signal(SIGBUS, SIG_DFL);
}

void install_handler() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction action {};
    action.sa_sigaction = on_sigbus;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGBUS, &action, &previous_action);
  });
}

}  // namespace

BusGuard::BusGuard(const void* begin, size_t length, std::atomic<bool>* truncated) {
  install_handler();
  for (size_t i = 0; i < slots.size(); ++i) {
    uintptr_t free = 0;
    if (!slots[i].begin.compare_exchange_strong(free, kClaimed, std::memory_order_acq_rel)) continue;
    const auto start = reinterpret_cast<uintptr_t>(begin);
    slots[i].truncated.store(truncated, std::memory_order_relaxed);
    slots[i].end.store(start + length, std::memory_order_relaxed);
    slots[i].begin.store(start, std::memory_order_release);
    slot_ = static_cast<int>(i);
    return;
  }
}

BusGuard::~BusGuard() {
  if (slot_ >= 0) slots[static_cast<size_t>(slot_)].begin.store(0, std::memory_order_release);
}

}  // namespace copper::log::detail
