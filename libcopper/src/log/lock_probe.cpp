#include "lock_probe.hpp"

#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <fmt/format.h>
#include <fstream>
#include <sstream>
#include <vector>

namespace copper::log::detail {

namespace {

struct FlockLine {
  std::string access;  // READ or WRITE
  std::string pid;
};

// The flocks held on the file, from /proc/locks (device and inode as it
// prints them: "fe:00:10954538"); nullopt when /proc/locks cannot be read.
// A waiter's line ("1: -> FLOCK ...") holds nothing and is skipped.
std::optional<std::vector<FlockLine>> flocks_on(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return std::nullopt;
  std::ifstream locks("/proc/locks");
  if (!locks) return std::nullopt;
  const std::string wanted = fmt::format("{:02x}:{:02x}:{}", major(st.st_dev), minor(st.st_dev), st.st_ino);
  std::vector<FlockLine> found;
  for (std::string line; std::getline(locks, line);) {
    std::istringstream fields(line);
    std::string ordinal, kind, advisory, access, pid, device;
    fields >> ordinal >> kind >> advisory >> access >> pid >> device;
    if (kind == "FLOCK" && device == wanted) found.push_back({access, pid});
  }
  return found;
}

}  // namespace

std::string flock_holder(int fd) {
  const auto flocks = flocks_on(fd);
  if (!flocks || flocks->empty()) return "";
  const std::string& pid = flocks->front().pid;
  std::ifstream comm_file(fmt::format("/proc/{}/comm", pid));
  std::string comm;
  std::getline(comm_file, comm);
  return comm.empty() ? fmt::format("pid {}", pid) : fmt::format("pid {}, {}", pid, comm);
}

bool held_for_writing(int fd) {
  if (const auto flocks = flocks_on(fd)) {
    for (const FlockLine& flock : *flocks)
      if (flock.access == "WRITE") return true;
    return false;
  }
  if (::flock(fd, LOCK_SH | LOCK_NB) != 0) return true;
  ::flock(fd, LOCK_UN);
  return false;
}

}  // namespace copper::log::detail
