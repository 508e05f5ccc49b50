#include "copper/log/file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <boost/interprocess/exceptions.hpp>
#include <boost/interprocess/file_mapping.hpp>
#include <boost/interprocess/mapped_region.hpp>
#include <cerrno>
#include <cstring>

#include "bus_guard.hpp"
#include "file_kind.hpp"
#include "lock_probe.hpp"
#include "page_mapping.hpp"

namespace copper::log {

namespace bip = boost::interprocess;

Status errno_status(const std::string& what, int err) {
  const StatusCode code = err == ENOENT ? StatusCode::not_found : StatusCode::io_error;
  return Status::with_code(code, fmt::format("{}: {}", what, std::strerror(err)));
}

namespace {

// Guarded while mapped (bus_guard.hpp): a truncation under it raises
// `truncated` instead of killing the process.
class RegionMapping final : public Mapping {
 public:
  RegionMapping(bip::mapped_region region, uint64_t offset, std::atomic<bool>* truncated)
      : Mapping(static_cast<uint8_t*>(region.get_address()), offset, region.get_size()),
        region_(std::move(region)),
        guard_(region_.get_address(), region_.get_size(), truncated) {}

 private:
  bip::mapped_region region_;
  detail::BusGuard guard_;  // after region_: unregistered before the unmap
};

class PosixLogFile final : public LogFile {
 public:
  // `temporary`: the file is being made under that name, to replace `path`
  // when published.
  PosixLogFile(std::filesystem::path path, std::filesystem::path temporary, int fd, bip::file_mapping mapping)
      : path_(std::move(path)), temporary_(std::move(temporary)), fd_(fd), mapping_(std::move(mapping)) {}
  ~PosixLogFile() override {
    if (!temporary_.empty()) ::unlink(temporary_.c_str());  // never published: the old file stays
    ::close(fd_);
  }
  PosixLogFile(const PosixLogFile&) = delete;
  PosixLogFile& operator=(const PosixLogFile&) = delete;

  const std::filesystem::path& path() const override { return path_; }

  Status reserve(uint64_t new_size) override {
    if (new_size <= reserved_) return {};
    // Growing a file another process cut would hide the cut (the gap reads
    // as zeros): it is noticed here, as a fault in the mapping would be.
    struct stat st {};
    if (::fstat(fd_, &st) == 0 && static_cast<uint64_t>(st.st_size) < reserved_) {
      truncated_.store(true, std::memory_order_release);
      return Status::io_error(fmt::format("{} was truncated by another process while being written (now {} bytes)",
                                          path_.string(), st.st_size));
    }
    // Only the new part: asking again for the whole file walks every extent.
    int err = 0;
    do err = ::posix_fallocate(fd_, static_cast<off_t>(reserved_), static_cast<off_t>(new_size - reserved_));
    while (err == EINTR);
    if (err != 0) return errno_status(fmt::format("growing {} to {} bytes", path_.string(), new_size), err);
    reserved_ = new_size;
    return {};
  }

  Result<std::unique_ptr<Mapping>> map(uint64_t offset, uint64_t length, PageSize pages) override {
    try {
      bip::mapped_region region = detail::map_region(mapping_, bip::read_write, offset, length, pages);
      return std::unique_ptr<Mapping>(std::make_unique<RegionMapping>(std::move(region), offset, &truncated_));
    } catch (const bip::interprocess_exception& e) {
      return errno_status(fmt::format("mapping {} bytes at offset {} of {}", length, offset, path_.string()),
                          e.get_native_error());
    }
  }

  Status flush(const Mapping& mapping, uint64_t offset, uint64_t length) override {
    // msync wants a page-aligned start; mappings start on a page.
    static const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
    const uint64_t begin = (offset - mapping.offset()) & ~(page - 1);
    const uint64_t end = offset - mapping.offset() + length;
    if (::msync(mapping.data() + begin, end - begin, MS_SYNC) != 0)
      return errno_status(fmt::format("syncing {} (msync)", path_.string()), errno);
    return {};
  }

  bool truncated() const override { return truncated_.load(std::memory_order_acquire); }

  Status publish() override {
    if (temporary_.empty()) return {};
    if (::rename(temporary_.c_str(), path_.c_str()) != 0)
      return errno_status(fmt::format("renaming {} to {}", temporary_.string(), path_.string()), errno);
    temporary_.clear();
    return {};
  }

  Status write_at(uint64_t offset, std::span<const uint8_t> bytes) override {
    size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::pwrite(fd_, bytes.data() + done, bytes.size() - done, static_cast<off_t>(offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return errno_status(fmt::format("writing {}", path_.string()), errno);
      done += static_cast<size_t>(n);
    }
    return {};
  }

  Status datasync() override {
    if (::fdatasync(fd_) != 0) return errno_status(fmt::format("syncing {} (fdatasync)", path_.string()), errno);
    return {};
  }

  Status start_writeback(uint64_t offset, uint64_t length) override {
#ifdef SYNC_FILE_RANGE_WRITE
    if (::sync_file_range(fd_, static_cast<off_t>(offset), static_cast<off_t>(length), SYNC_FILE_RANGE_WRITE) != 0)
      return errno_status(fmt::format("writing {} back (sync_file_range)", path_.string()), errno);
#else
    (void)offset;
    (void)length;
#endif
    return {};
  }

  Status truncate(uint64_t size) override {
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0)
      return errno_status(fmt::format("truncating {} to {} bytes", path_.string(), size), errno);
    reserved_ = std::min(reserved_, size);
    return {};
  }

 private:
  std::filesystem::path path_;
  std::filesystem::path temporary_;
  int fd_;
  bip::file_mapping mapping_;
  std::atomic<bool> truncated_{false};
  uint64_t reserved_ = 0;  // the file is created empty (O_EXCL or O_TRUNC)
};

class PosixFileView final : public FileView {
 public:
  // Guarded (bus_guard.hpp): a file cut short while it is read reads as
  // zeros past its new end, which the reader takes for an unwritten tail.
  PosixFileView(bip::file_mapping file, bip::mapped_region region)
      : file_(std::move(file)), region_(std::move(region)), guard_(region_.get_address(), region_.get_size(), &cut_) {
    region_.advise(bip::mapped_region::advice_sequential);
  }
  std::span<const uint8_t> bytes() const override {
    return {static_cast<const uint8_t*>(region_.get_address()), region_.get_size()};
  }

 private:
  bip::file_mapping file_;
  bip::mapped_region region_;
  std::atomic<bool> cut_{false};
  detail::BusGuard guard_;
};

}  // namespace

Result<std::unique_ptr<FileView>> open_file_view(const std::filesystem::path& path) {
  try {
    bip::file_mapping file(path.c_str(), bip::read_only);
    // Huge pages: a log just written is already in 2 MiB folios, and one
    // read from disk is read ahead in them; either way each 2 MiB costs one
    // page fault instead of 512 (page_mapping.hpp).
    bip::mapped_region region = detail::map_region(file, bip::read_only, 0, 0, PageSize::huge);
    return std::unique_ptr<FileView>(std::make_unique<PosixFileView>(std::move(file), std::move(region)));
  } catch (const bip::interprocess_exception& e) {
    return Status::io_error(fmt::format("{}: cannot map the file: {}", path.string(), e.what()));
  }
}

namespace {

// Takes the writer's lock: an exclusive flock, held while the descriptor
// is open, so two recorders never write one log.
Status lock_for_writing(int fd, const std::filesystem::path& path) {
  if (::flock(fd, LOCK_EX | LOCK_NB) == 0) return {};
  if (errno != EWOULDBLOCK) return errno_status(fmt::format("locking {}", path.string()), errno);
  const std::string holder = detail::flock_holder(fd);
  const std::string who = holder.empty() ? std::string() : fmt::format(" ({})", holder);
  return Status::already_exists(
      fmt::format("{} is being written by another process{}; stop it first or write elsewhere", path.string(), who));
}

Status require_regular(const std::filesystem::path& path, const struct stat& st) {
  if (S_ISREG(st.st_mode)) return {};
  return Status::invalid_argument(
      fmt::format("{} is {}: a log is written only over a regular file, and it is left as it is", path.string(),
                  copper::detail::file_kind(st.st_mode)));
}

// An existing file is replaced only when it is a regular file that no one
// is writing. Checked by stat before opening: opening some devices has
// effects of its own.
Status check_replaceable(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return errno == ENOENT ? Status() : errno_status(fmt::format("inspecting {}", path.string()), errno);
  if (Status regular = require_regular(path, st); !regular.ok()) return regular;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return errno_status(fmt::format("opening {}", path.string()), errno);
  Status status = lock_for_writing(fd, path);
  ::close(fd);  // releases the probe's lock
  return status;
}

// create_new: the file itself, created exclusively. overwrite: a fresh file
// beside it, renamed over it by publish() once the log has started, so a
// log that cannot start leaves the old one as it was.
Result<std::pair<int, std::filesystem::path>> create_for_writing(const std::filesystem::path& path, OpenMode mode) {
  std::filesystem::path temporary;
  int fd = -1;
  if (mode == OpenMode::create_new) {
    fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0 && errno == EEXIST)
      return Status::already_exists(fmt::format("{} exists; use --force to overwrite it", path.string()));
    if (fd < 0) return errno_status(fmt::format("creating {}", path.string()), errno);
  } else {
    if (Status replaceable = check_replaceable(path); !replaceable.ok()) return replaceable;
    std::string name = (path.parent_path() / fmt::format(".{}.XXXXXX", path.filename().string())).string();
    fd = ::mkstemp(name.data());
    if (fd < 0) return errno_status(fmt::format("creating a file beside {}", path.string()), errno);
    ::fchmod(fd, 0644);
    ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    temporary = name;
  }
  if (Status locked = lock_for_writing(fd, path); !locked.ok()) {
    if (!temporary.empty()) ::unlink(temporary.c_str());
    ::close(fd);
    return locked;
  }
  return std::pair{fd, temporary};
}

}  // namespace

Result<std::unique_ptr<LogFile>> open_log_file(const std::filesystem::path& path, OpenMode mode) {
  auto created = create_for_writing(path, mode);
  if (!created.ok()) return created.status();
  const auto& [fd, temporary] = *created;
  const std::filesystem::path& name = temporary.empty() ? path : temporary;
  try {
    bip::file_mapping mapping(name.c_str(), bip::read_write);
    return std::unique_ptr<LogFile>(std::make_unique<PosixLogFile>(path, temporary, fd, std::move(mapping)));
  } catch (const bip::interprocess_exception& e) {
    if (!temporary.empty()) ::unlink(temporary.c_str());
    ::close(fd);
    return errno_status(fmt::format("opening {} for mapping", name.string()), e.get_native_error());
  }
}

}  // namespace copper::log
