// A LogFile that fails on demand, for the tests of the writer's error
// paths (a full disk, an I/O error at the Nth call). Internal: not
// installed, linked only into copper's own tests.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "copper/log/file.hpp"

namespace copper::log {

// Wraps a LogFile and fails chosen calls: fail(op, nth, err) makes the nth
// call (1-based, counted from when the wrapper was made) of `op` and every
// later one fail with errno `err`, as the real file would report it.
// Thread-safe: the writer calls it from several threads.
class FaultyLogFile final : public LogFile {
 public:
  enum class Op { reserve, map, flush, write_at, datasync, start_writeback, truncate, count_ };

  explicit FaultyLogFile(std::unique_ptr<LogFile> inner) : inner_(std::move(inner)) {}

  void fail(Op op, uint64_t nth, int err);
  // Runs `action` at every call of `op`, before the call (e.g. the process
  // killing itself there).
  void on_call(Op op, std::function<void()> action);
  uint64_t calls(Op op) const;

  const std::filesystem::path& path() const override { return inner_->path(); }
  Status reserve(uint64_t new_size) override;
  Result<std::unique_ptr<Mapping>> map(uint64_t offset, uint64_t length, PageSize pages) override;
  Status flush(const Mapping& mapping, uint64_t offset, uint64_t length) override;
  Status publish() override { return inner_->publish(); }
  bool truncated() const override { return inner_->truncated(); }
  Status write_at(uint64_t offset, std::span<const uint8_t> bytes) override;
  Status datasync() override;
  Status start_writeback(uint64_t offset, uint64_t length) override;
  Status truncate(uint64_t size) override;

 private:
  struct Fault {
    uint64_t calls = 0;
    uint64_t nth = 0;  // 0: never fail
    int err = 0;
    std::function<void()> action;
  };
  // Counts the call; a non-ok Status when it must fail.
  Status tick(Op op, const std::string& what);

  std::unique_ptr<LogFile> inner_;
  mutable std::mutex mutex_;
  Fault faults_[static_cast<size_t>(Op::count_)];
};

// The reader's side: views of the real file that fail on demand. With
// `open_errno` set, opening fails with that errno, as mapping a file on a
// failing disk does; with `visible_bytes` set, a view shows at most that
// many bytes, as a mapping of a file cut short after it was checked would.
struct ReadFaults {
  int open_errno = 0;
  std::optional<uint64_t> visible_bytes;
};
FileViewFactory faulty_file_views(ReadFaults faults);

}  // namespace copper::log
