#include "faulty_file.hpp"

#include <fmt/format.h>

namespace copper::log {

void FaultyLogFile::fail(Op op, uint64_t nth, int err) {
  std::lock_guard lock(mutex_);
  Fault& fault = faults_[static_cast<size_t>(op)];
  fault.nth = fault.calls + nth;
  fault.err = err;
}

uint64_t FaultyLogFile::calls(Op op) const {
  std::lock_guard lock(mutex_);
  return faults_[static_cast<size_t>(op)].calls;
}

void FaultyLogFile::on_call(Op op, std::function<void()> action) {
  std::lock_guard lock(mutex_);
  faults_[static_cast<size_t>(op)].action = std::move(action);
}

Status FaultyLogFile::tick(Op op, const std::string& what) {
  std::lock_guard lock(mutex_);
  Fault& fault = faults_[static_cast<size_t>(op)];
  if (fault.action) fault.action();
  ++fault.calls;
  if (fault.nth != 0 && fault.calls >= fault.nth) return errno_status(what, fault.err);
  return {};
}

Status FaultyLogFile::reserve(uint64_t new_size) {
  Status status = tick(Op::reserve, fmt::format("growing {} to {} bytes", path().string(), new_size));
  return status.ok() ? inner_->reserve(new_size) : status;
}

Result<std::unique_ptr<Mapping>> FaultyLogFile::map(uint64_t offset, uint64_t length, PageSize pages) {
  Status status = tick(Op::map, fmt::format("mapping {} bytes at offset {} of {}", length, offset, path().string()));
  if (!status.ok()) return status;
  return inner_->map(offset, length, pages);
}

Status FaultyLogFile::flush(const Mapping& mapping, uint64_t offset, uint64_t length) {
  Status status = tick(Op::flush, fmt::format("syncing {} (msync)", path().string()));
  return status.ok() ? inner_->flush(mapping, offset, length) : status;
}

Status FaultyLogFile::write_at(uint64_t offset, std::span<const uint8_t> bytes) {
  Status status = tick(Op::write_at, fmt::format("writing {}", path().string()));
  return status.ok() ? inner_->write_at(offset, bytes) : status;
}

Status FaultyLogFile::datasync() {
  Status status = tick(Op::datasync, fmt::format("syncing {} (fdatasync)", path().string()));
  return status.ok() ? inner_->datasync() : status;
}

Status FaultyLogFile::start_writeback(uint64_t offset, uint64_t length) {
  Status status = tick(Op::start_writeback, fmt::format("writing {} back (sync_file_range)", path().string()));
  return status.ok() ? inner_->start_writeback(offset, length) : status;
}

Status FaultyLogFile::truncate(uint64_t size) {
  Status status = tick(Op::truncate, fmt::format("truncating {} to {} bytes", path().string(), size));
  return status.ok() ? inner_->truncate(size) : status;
}
namespace {

class ShortFileView final : public FileView {
 public:
  ShortFileView(std::unique_ptr<FileView> inner, uint64_t visible) : inner_(std::move(inner)), visible_(visible) {}
  std::span<const uint8_t> bytes() const override {
    const auto all = inner_->bytes();
    return all.first(std::min<uint64_t>(all.size(), visible_));
  }

 private:
  std::unique_ptr<FileView> inner_;
  uint64_t visible_;
};

}  // namespace

FileViewFactory faulty_file_views(ReadFaults faults) {
  return [faults](const std::filesystem::path& path) -> Result<std::unique_ptr<FileView>> {
    if (faults.open_errno != 0) return errno_status(fmt::format("mapping {}", path.string()), faults.open_errno);
    auto view = open_file_view(path);
    if (!view || !faults.visible_bytes) return view;
    return std::unique_ptr<FileView>(std::make_unique<ShortFileView>(std::move(view.value()), *faults.visible_bytes));
  };
}

}  // namespace copper::log
