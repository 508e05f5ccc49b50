// The SIGBUS guard (src/log/bus_guard.hpp): a guarded mapping of a file cut
// under it reads and writes zero pages and raises its flag; a fault
// anywhere else still ends the process.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

#include "fixtures/scratch_dir.hpp"
#include "log/bus_guard.hpp"

namespace {

constexpr size_t kLength = 64 * 1024;
constexpr size_t kCut = 4096;

// A file of kLength bytes of 0xAB, mapped shared read-write.
struct MappedFile {
  explicit MappedFile(const std::filesystem::path& path) {
    fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0600);
    REQUIRE(fd >= 0);
    REQUIRE(::ftruncate(fd, kLength) == 0);
    void* at = ::mmap(nullptr, kLength, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    REQUIRE(at != MAP_FAILED);
    bytes = static_cast<volatile uint8_t*>(at);
    for (size_t i = 0; i < kLength; ++i) bytes[i] = 0xAB;
  }
  ~MappedFile() {
    ::munmap(const_cast<uint8_t*>(bytes), kLength);
    ::close(fd);
  }
  int fd = -1;
  volatile uint8_t* bytes = nullptr;
};

}  // namespace

TEST_CASE("log.bus_guard.a_guarded_mapping_cut_under_it_reads_zeros_and_raises_its_flag") {
  const copper_test::ScratchDir dir("copper_bus_guard");
  MappedFile file(dir / "cut.bin");
  std::atomic<bool> truncated{false};
  {
    const copper::log::detail::BusGuard guard(const_cast<uint8_t*>(file.bytes), kLength, &truncated);
    REQUIRE(::ftruncate(file.fd, kCut) == 0);  // as another process would
    CHECK(file.bytes[kCut - 1] == 0xAB);       // before the cut: the file's bytes
    CHECK_FALSE(truncated.load());
    CHECK(file.bytes[2 * kCut] == 0);  // past it: a zero page, not a SIGBUS
    CHECK(truncated.load());
    file.bytes[2 * kCut + 1] = 7;  // writes land in that page
    CHECK(file.bytes[2 * kCut + 1] == 7);
  }
}

TEST_CASE("log.bus_guard.a_fault_outside_every_guarded_range_still_ends_the_process") {
  const copper_test::ScratchDir dir("copper_bus_guard_unguarded");
  std::atomic<bool> unused{false};
  MappedFile other(dir / "other.bin");
  // A guard elsewhere installs the handler; this mapping is not in it.
  const copper::log::detail::BusGuard guard(const_cast<uint8_t*>(other.bytes), kLength, &unused);
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // Under ASan its SIGBUS report aborts: die of that, not through
    // doctest's SIGABRT handler, which would go on running tests here.
    ::signal(SIGABRT, SIG_DFL);
    MappedFile file(dir / "unguarded.bin");
    if (::ftruncate(file.fd, kCut) != 0) _exit(10);
    const uint8_t byte = file.bytes[2 * kCut];  // faults, unguarded
    _exit(byte == 0 ? 11 : 12);
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  REQUIRE(WIFSIGNALED(status));
  // SIGBUS by default; SIGABRT when a sanitizer's own handler reports it first.
  CHECK((WTERMSIG(status) == SIGBUS || WTERMSIG(status) == SIGABRT));
  CHECK_FALSE(unused.load());
}
