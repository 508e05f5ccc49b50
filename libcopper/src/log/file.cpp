#include "copper/log/file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <boost/interprocess/exceptions.hpp>
#include <boost/interprocess/file_mapping.hpp>
#include <boost/interprocess/mapped_region.hpp>
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fmt/format.h>

#include "page_mapping.hpp"

namespace copper::log {

namespace bip = boost::interprocess;

Status errno_status(const std::string& what, int err) {
  const StatusCode code = err == ENOENT ? StatusCode::not_found : StatusCode::io_error;
  return Status::with_code(code, fmt::format("{}: {}", what, std::strerror(err)));
}

namespace {

class RegionMapping final : public Mapping {
 public:
  RegionMapping(bip::mapped_region region, uint64_t offset)
      : Mapping(static_cast<uint8_t*>(region.get_address()), offset, region.get_size()),
        region_(std::move(region)) {}

 private:
  bip::mapped_region region_;
};

class PosixLogFile final : public LogFile {
 public:
  PosixLogFile(std::filesystem::path path, int fd, bip::file_mapping mapping)
      : path_(std::move(path)), fd_(fd), mapping_(std::move(mapping)) {}
  ~PosixLogFile() override { ::close(fd_); }
  PosixLogFile(const PosixLogFile&) = delete;
  PosixLogFile& operator=(const PosixLogFile&) = delete;

  const std::filesystem::path& path() const override { return path_; }

  Status reserve(uint64_t new_size) override {
    if (new_size <= reserved_) return {};
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
      return std::unique_ptr<Mapping>(std::make_unique<RegionMapping>(std::move(region), offset));
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
  int fd_;
  bip::file_mapping mapping_;
  uint64_t reserved_ = 0;  // the file is created empty (O_EXCL or O_TRUNC)
};

class PosixFileView final : public FileView {
 public:
  PosixFileView(bip::file_mapping file, bip::mapped_region region)
      : file_(std::move(file)), region_(std::move(region)) {
    region_.advise(bip::mapped_region::advice_sequential);
  }
  std::span<const uint8_t> bytes() const override {
    return {static_cast<const uint8_t*>(region_.get_address()), region_.get_size()};
  }

 private:
  bip::file_mapping file_;
  bip::mapped_region region_;
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

Result<std::unique_ptr<LogFile>> open_log_file(const std::filesystem::path& path, OpenMode mode) {
  const int flags = O_RDWR | O_CREAT | O_CLOEXEC | (mode == OpenMode::create_new ? O_EXCL : O_TRUNC);
  const int fd = ::open(path.c_str(), flags, 0644);
  if (fd < 0) {
    if (errno == EEXIST)
      return Status::already_exists(fmt::format("{} exists; use --force to overwrite it", path.string()));
    return errno_status(fmt::format("creating {}", path.string()), errno);
  }
  try {
    bip::file_mapping mapping(path.c_str(), bip::read_write);
    return std::unique_ptr<LogFile>(std::make_unique<PosixLogFile>(path, fd, std::move(mapping)));
  } catch (const bip::interprocess_exception& e) {
    ::close(fd);
    return errno_status(fmt::format("opening {} for mapping", path.string()), e.get_native_error());
  }
}


}  // namespace copper::log
