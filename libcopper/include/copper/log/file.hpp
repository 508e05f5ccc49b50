// Every file operation of the log writer and the log reader, behind one
// interface each, so tests can inject faults (a full disk, an I/O error, a
// short read) at the Nth call, the way LevelDB's Env does.
//
// The real implementation maps with Boost.Interprocess (file_mapping +
// mapped_region) and uses POSIX for the rest: posix_fallocate to really
// reserve space (a full disk is an error here, never a SIGBUS later),
// msync(MS_SYNC) + fdatasync to make data durable, ftruncate to trim.
// Errors name the file, the operation and strerror's text, e.g.
// "growing run.copper to 16777216 bytes: No space left on device".
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>

#include "copper/export.hpp"
#include "copper/status.hpp"

namespace copper::log {

// A read-write view of [offset, offset + size) of the file; unmapped when
// destroyed. Data written through it reaches the page cache at once, so it
// survives a crash of the process.
class COPPER_API Mapping {
 public:
  virtual ~Mapping() = default;
  uint8_t* data() const { return data_; }
  uint64_t offset() const { return offset_; }
  uint64_t size() const { return size_; }

 protected:
  Mapping(uint8_t* data, uint64_t offset, uint64_t size) : data_(data), offset_(offset), size_(size) {}

 private:
  uint8_t* data_;
  uint64_t offset_;
  uint64_t size_;
};

// The pages behind a mapping. huge: 2 MiB pages where the kernel and the
// file system allow them (src/log/page_mapping.hpp says why and at what
// cost), 4 KiB pages elsewhere.
enum class PageSize { normal, huge };

class COPPER_API LogFile {
 public:
  virtual ~LogFile() = default;

  virtual const std::filesystem::path& path() const = 0;
  // Makes the file at least new_size bytes long with every block allocated.
  virtual Status reserve(uint64_t new_size) = 0;
  // offset must be a multiple of the page size; the range must lie inside
  // the file.
  virtual Result<std::unique_ptr<Mapping>> map(uint64_t offset, uint64_t length, PageSize pages) = 0;
  // msync(MS_SYNC) of [offset, offset + length) (absolute file offsets)
  // inside `mapping`; call datasync() afterwards to finish the job.
  virtual Status flush(const Mapping& mapping, uint64_t offset, uint64_t length) = 0;
  // Puts the file in place under its path, once the log has started (see
  // open_log_file); a no-op when it was created there.
  virtual Status publish() = 0;
  // pwrite: the file header goes in this way before the file grows, so a
  // recorder killed at once leaves a header, not a file of zeros.
  virtual Status write_at(uint64_t offset, std::span<const uint8_t> bytes) = 0;
  virtual Status datasync() = 0;
  // Starts writing [offset, offset + length) back to storage and returns
  // without waiting (sync_file_range on Linux, nothing elsewhere). Makes
  // nothing durable: it spreads writeback over a run so that dirty pages
  // do not pile up until the last fdatasync.
  virtual Status start_writeback(uint64_t offset, uint64_t length) = 0;
  virtual Status truncate(uint64_t size) = 0;
  // True once a mapping met the file cut short under it by another
  // process: the access went to a zero page instead of killing the process
  // (src/log/bus_guard.hpp); the writer stops with an error.
  virtual bool truncated() const = 0;
};

enum class OpenMode {
  create_new,  // fail if the file exists
  overwrite,   // replace an existing regular file
};

// The real POSIX file, locked for writing (an exclusive flock held while it
// is open). create_new creates it exclusively, and refuses an existing file
// with "<path> exists; use --force to overwrite it". overwrite refuses
// anything but a regular file (a device, a FIFO: left untouched) and a file
// another writer holds (naming it); it writes a new file beside the old one
// that publish() renames over it, so the old log survives a log that
// cannot start.
COPPER_API Result<std::unique_ptr<LogFile>> open_log_file(const std::filesystem::path& path, OpenMode mode);

// A read-only mapping of a whole file: everything the reader reads of a log
// goes through one. The bytes stay valid while it lives; the file must not
// shrink meanwhile (the mapping would fault).
class COPPER_API FileView {
 public:
  virtual ~FileView() = default;
  virtual std::span<const uint8_t> bytes() const = 0;
};

// The real file, mapped with huge pages where the kernel allows
// (page_mapping.hpp) and advised for sequential reading. Errors are
// io_error, naming the file.
COPPER_API Result<std::unique_ptr<FileView>> open_file_view(const std::filesystem::path& path);

// Opens the file the reader reads; tests substitute one that fails.
using FileViewFactory = std::function<Result<std::unique_ptr<FileView>>(const std::filesystem::path&)>;

// Opens the file the writer logs into; tests substitute a factory that wraps
// the real file in one that fails on demand.
using LogFileFactory = std::function<Result<std::unique_ptr<LogFile>>(const std::filesystem::path&, OpenMode)>;

// "<what>: <strerror(err)>"
COPPER_API Status errno_status(const std::string& what, int err);

}  // namespace copper::log
