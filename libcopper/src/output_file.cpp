#include "output_file.hpp"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include <fmt/format.h>

#include "file_kind.hpp"
#include "text_util.hpp"

namespace copper {

using detail::fail;

namespace {

std::string errno_text(int err) { return std::strerror(err); }

// Opens and fsyncs a path (a file, or a folder to make a rename durable).
Status sync_path(const std::filesystem::path& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return fail(StatusCode::io_error, "{}: cannot open it to sync: {}", path.string(), errno_text(errno));
  const bool synced = ::fsync(fd) == 0;
  const int err = errno;
  ::close(fd);
  if (!synced) return fail(StatusCode::io_error, "{}: sync failed: {}", path.string(), errno_text(err));
  return {};
}

std::filesystem::path folder_of(const std::filesystem::path& target) {
  return target.has_parent_path() ? target.parent_path() : std::filesystem::path(".");
}

// rename(2); without overwrite, one that fails rather than replace a file
// that appeared meanwhile (where the file system supports it).
int move_into_place(const std::filesystem::path& from, const std::filesystem::path& to, Overwrite overwrite) {
  if (overwrite == Overwrite::refuse) {
    const int moved = ::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE);
    if (moved == 0 || (errno != EINVAL && errno != ENOSYS)) return moved;
  }
  return ::rename(from.c_str(), to.c_str());
}

}  // namespace

Status check_output_target(const std::filesystem::path& target, Overwrite overwrite) {
  struct stat st {};
  if (::lstat(target.c_str(), &st) != 0) {
    if (errno == ENOENT) return {};
    return fail(StatusCode::io_error, "{}: cannot inspect the output path: {}", target.string(), errno_text(errno));
  }
  if (S_ISDIR(st.st_mode))
    return fail(StatusCode::invalid_argument, "{} is a directory: give the path of a file to write", target.string());
  if (!S_ISREG(st.st_mode))
    return fail(StatusCode::invalid_argument,
                "{} is {}, not a regular file: outputs are written only as regular files, and nothing else is ever "
                "replaced (with or without --force); choose another path",
                target.string(), detail::file_kind(st.st_mode));
  if (overwrite == Overwrite::refuse)
    return fail(StatusCode::already_exists, "{} exists; use --force to overwrite it", target.string());
  return {};
}

Result<OutputFile> OutputFile::create(const std::filesystem::path& target, Overwrite overwrite) {
  if (target.empty() || !target.has_filename())
    return fail(StatusCode::invalid_argument, "\"{}\" is not a file path", target.string());
  if (Status ok = check_output_target(target, overwrite); !ok) return ok;
  std::random_device random;
  for (int attempt = 0; attempt < 16; ++attempt) {
    const std::filesystem::path temporary =
        folder_of(target) / fmt::format(".{}.tmp-{:08x}", target.filename().string(), random());
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) {
      ::close(fd);
      return OutputFile(target, temporary, overwrite);
    }
    if (errno == EEXIST) continue;
    const StatusCode code = errno == ENOENT ? StatusCode::not_found : StatusCode::io_error;
    return fail(code, "{}: cannot create a file in {}: {}", target.string(), folder_of(target).string(),
                errno_text(errno));
  }
  return fail(StatusCode::io_error, "{}: no free temporary name in {}", target.string(), folder_of(target).string());
}

OutputFile::OutputFile(OutputFile&& other) noexcept
    : target_(std::move(other.target_)), temporary_(std::move(other.temporary_)), overwrite_(other.overwrite_) {
  other.temporary_.clear();
}

OutputFile& OutputFile::operator=(OutputFile&& other) noexcept {
  if (this != &other) {
    discard();
    target_ = std::move(other.target_);
    temporary_ = std::move(other.temporary_);
    overwrite_ = other.overwrite_;
    other.temporary_.clear();
  }
  return *this;
}

OutputFile::~OutputFile() { discard(); }

void OutputFile::discard() {
  if (temporary_.empty()) return;
  ::unlink(temporary_.c_str());  // ours: created with O_EXCL
  temporary_.clear();
}

Status OutputFile::commit() {
  if (temporary_.empty()) return fail(StatusCode::aborted, "{}: the output was already committed", target_.string());
  Status status = sync_path(temporary_, O_RDONLY);
  // What is at the target may have changed since create(): check again.
  if (status) status = check_output_target(target_, overwrite_);
  struct stat old {};
  if (status && ::lstat(target_.c_str(), &old) == 0) ::chmod(temporary_.c_str(), old.st_mode & 07777);
  if (status && move_into_place(temporary_, target_, overwrite_) != 0)
    status = fail(StatusCode::io_error, "{}: cannot move the finished output into place: {}", target_.string(),
                  errno_text(errno));
  if (!status) {
    discard();
    return status;
  }
  temporary_.clear();
  return sync_path(folder_of(target_), O_RDONLY | O_DIRECTORY);
}

}  // namespace copper
