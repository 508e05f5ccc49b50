// LogFollower (copper/log/follow.hpp): the rules are those of
// docs/log-format.md, "Reading a log that is being written".
#include "copper/log/follow.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "../text_util.hpp"
#include "bus_guard.hpp"
#include "lock_probe.hpp"
#include "reader_access.hpp"
#include "record_parse.hpp"
#include "record_scanner.hpp"

namespace copper::log {

const char* to_string(FollowEnd end) {
  switch (end) {
    case FollowEnd::running: return "running";
    case FollowEnd::closed: return "closed";
    case FollowEnd::unclosed: return "unclosed";
    case FollowEnd::stopped: return "stopped";
  }
  return "unknown";
}

namespace {

using ::copper::detail::fail;
using Clock = std::chrono::steady_clock;

// A read-only mapping of the open file as long as it was when mapped: the
// path may since name another file (a recorder's rename), the descriptor
// does not. Guarded: the writer trims the file at a clean close, and a page
// past the new end then reads as zeros (bus_guard.hpp).
class DescriptorView final : public FileView {
 public:
  static Result<std::unique_ptr<DescriptorView>> map(int fd, uint64_t size, const std::filesystem::path& path) {
    void* at = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
    if (at == MAP_FAILED) return errno_status(fmt::format("{}: cannot map the file", path.string()), errno);
    return std::unique_ptr<DescriptorView>(new DescriptorView(static_cast<const uint8_t*>(at), size));
  }
  ~DescriptorView() override {
    guard_.reset();  // unregistered before the unmap
    ::munmap(const_cast<uint8_t*>(data_), size_);
  }
  std::span<const uint8_t> bytes() const override { return {data_, size_}; }

 private:
  DescriptorView(const uint8_t* data, uint64_t size)
      : data_(data), size_(size), guard_(std::make_unique<detail::BusGuard>(data, size, &cut_)) {}
  const uint8_t* data_;
  uint64_t size_;
  std::atomic<bool> cut_{false};
  std::unique_ptr<detail::BusGuard> guard_;
};

uint64_t file_size(int fd) {
  struct stat st {};
  return ::fstat(fd, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

// A recorder with --force writes `.<name>.XXXXXX` beside the log and
// renames it over the log once started (file.cpp): true while one such
// file is being written.
bool replacement_being_written(const std::filesystem::path& path) {
  const std::string prefix = fmt::format(".{}.", path.filename().string());
  std::error_code ec;
  const auto folder = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  for (const auto& entry : std::filesystem::directory_iterator(folder, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() != prefix.size() + 6 || !name.starts_with(prefix)) continue;
    const int fd = ::open(entry.path().c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) continue;
    const bool written = detail::held_for_writing(fd);
    ::close(fd);
    if (written) return true;
  }
  return false;
}

// Whether `path` still names the file whose fstat gave `opened`.
bool still_named(const std::filesystem::path& path, const struct stat& opened) {
  struct stat now {};
  return ::stat(path.c_str(), &now) == 0 && now.st_dev == opened.st_dev && now.st_ino == opened.st_ino;
}

// The copperlist shape the metadata gives, as the reader learns it.
std::optional<detail::ClShape> shape_of(const nlohmann::json& metadata) {
  if (!metadata.is_object()) return std::nullopt;
  const auto tasks = metadata.find("tasks");
  const auto slots = metadata.find("slots");
  if (tasks == metadata.end() || slots == metadata.end() || !tasks->is_array() || !slots->is_array())
    return std::nullopt;
  return detail::ClShape{static_cast<uint32_t>(tasks->size()), static_cast<uint32_t>(slots->size())};
}

}  // namespace

struct LogFollower::Impl {
  std::filesystem::path path;
  FollowOptions options;
  int fd = -1;
  std::unique_ptr<DescriptorView> view;  // the file as last looked at
  std::optional<LogReader> reader;       // opened once the metadata was there
  std::optional<LogReader> final;        // opened once the writer was gone
  detail::Framing framing;
  std::optional<detail::ClShape> shape;
  uint64_t pos = kFileHeaderSize;             // the next record's offset while the writer writes
  std::optional<detail::RecordScanner> tail;  // the closing read, once the writer is gone
  uint64_t tail_end = UINT64_MAX;
  FollowEnd end = FollowEnd::running;
  detail::PayloadDecoder decoder;
  RecordView record;
  detail::CopperListBatch batch;
  size_t next_in_batch = 0;
  std::optional<uint64_t> last_id;
  bool stale = false;               // copperlist ids went back: no more copperlists
  std::optional<uint64_t> left_at;  // pos where the writer was first seen in a later slab

  ~Impl() {
    if (fd >= 0) ::close(fd);  // the mappings stay valid without it
  }

  bool stop_asked() const { return options.stop && options.stop(); }
  void pause() const {
    if (options.idle) options.idle();
    std::this_thread::sleep_for(options.poll);
  }
  std::span<const uint8_t> bytes() const { return view ? view->bytes() : std::span<const uint8_t>(); }

  Status find_file();
  Status wait_for_metadata();
  bool metadata_written() const;
  Status refresh();
  Result<LogReader> open_reader();
  const RecordView* verified_at_pos();
  bool writer_moved_past() const;
  bool skip_damage();
  Status start_tail();
  const RecordView* from_tail();
  const RecordView* next_record();
  const RecordView* show(const detail::RawRecord& raw);
};

// Opens the file to follow: waits for it to appear, and for a recorder
// replacing it to rename its new file into place.
Status LogFollower::Impl::find_file() {
  const auto started = Clock::now();
  for (;;) {
    if (stop_asked()) return fail(StatusCode::aborted, "{}: stopped while waiting for the log", path.string());
    const int candidate = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (candidate < 0 && errno != ENOENT) return errno_status(fmt::format("opening {}", path.string()), errno);
    if (candidate >= 0) {
      struct stat st {};
      const bool regular = ::fstat(candidate, &st) == 0 && S_ISREG(st.st_mode);
      const bool young =
          static_cast<uint64_t>(st.st_size) < kFileHeaderSize && Clock::now() - started < options.start_grace;
      if (!regular) {
        ::close(candidate);
        auto refused = LogReader::open(path);  // a directory, a FIFO...: the reader's own error
        return refused ? fail(StatusCode::corruption, "{}: not a regular file", path.string()) : refused.status();
      }
      // Looked for the replacement after opening: if it was renamed into
      // place in between, `path` no longer names the file opened, and the
      // loop opens the replacement (the test of this once followed the
      // old log under load).
      if (detail::held_for_writing(candidate) ||
          (!young && !replacement_being_written(path) && still_named(path, st))) {
        fd = candidate;
        return Status();
      }
      ::close(candidate);
    }
    pause();
  }
}

// Maps the file again when its size changed (slabs added, the tail trimmed).
Status LogFollower::Impl::refresh() {
  const uint64_t size = file_size(fd);
  if (view && view->bytes().size() == size) return Status();
  view.reset();
  if (size == 0) return Status();
  auto mapped = DescriptorView::map(fd, size, path);
  if (!mapped) return mapped.status();
  view = std::move(*mapped);
  return Status();
}

// A valid header and a verified metadata record after it: what the writer
// puts in place before anything else.
bool LogFollower::Impl::metadata_written() const {
  const auto file = bytes();
  if (file.size() < kFileHeaderSize || !std::equal(kFileMagic.begin(), kFileMagic.end(), file.data())) return false;
  if (load_le<uint64_t>(file.data() + header::kChecksum) != header_checksum(file.data())) return false;
  std::array<uint8_t, 16> run_id{};
  std::copy_n(file.data() + header::kRunId, run_id.size(), run_id.begin());
  const uint64_t slab = load_le<uint64_t>(file.data() + header::kSlabSize);
  const detail::Framing candidate{slab, record_seed(load_le<uint32_t>(file.data() + header::kVersion), run_id)};
  detail::RawRecord raw;
  return slab != 0 && detail::verify_record(file, kFileHeaderSize, candidate, raw) == nullptr &&
         raw.type == static_cast<uint16_t>(RecordType::metadata);
}

// A LogReader over the file as it is now, through the descriptor.
Result<LogReader> LogFollower::Impl::open_reader() {
  const uint64_t size = file_size(fd);
  return LogReader::open(path, [&](const std::filesystem::path&) -> Result<std::unique_ptr<FileView>> {
    if (size == 0) return fail(StatusCode::corruption, "{}: empty file, not a copper log", path.string());
    auto mapped = DescriptorView::map(fd, size, path);
    if (!mapped) return mapped.status();
    return std::unique_ptr<FileView>(std::move(*mapped));
  });
}

// Until the metadata verifies, or the writer is gone (then the file is
// read as it is, like any closed or abandoned log).
Status LogFollower::Impl::wait_for_metadata() {
  bool writing = true;
  for (;;) {
    writing = detail::held_for_writing(fd);  // before reading: "gone" then covers every byte read
    if (Status s = refresh(); !s) return s;
    if (metadata_written() || !writing) break;
    if (stop_asked()) return fail(StatusCode::aborted, "{}: stopped while waiting for the log", path.string());
    pause();
  }
  auto opened = open_reader();
  if (!opened) return opened.status();
  reader = std::move(*opened);
  framing = ReaderAccess::framing(*reader);
  shape = shape_of(reader->metadata());
  // No writer: a finished log, read with the closed-log rules throughout.
  return writing ? Status() : start_tail();
}

const RecordView* LogFollower::Impl::show(const detail::RawRecord& raw) {
  auto payload = decoder.decode(raw);
  if (!payload) return nullptr;  // skipped, as for_each_record skips it
  record = RecordView{raw.type, raw.flags, raw.offset, raw.footprint, *payload};
  return &record;
}

// The next record that verifies at pos, moving past it; null when the
// bytes at pos do not verify (not written yet, or damage).
const RecordView* LogFollower::Impl::verified_at_pos() {
  const auto file = bytes();
  while (pos < file.size()) {
    const uint64_t slab_left = framing.slab_size - pos % framing.slab_size;
    if (slab_left < kRecordHeaderSize) {  // left zero by the writer: no header fits
      pos += slab_left;
      continue;
    }
    detail::RawRecord raw;
    if (detail::verify_record(file, pos, framing, raw) != nullptr) return nullptr;
    pos += raw.footprint;
    if (raw.type == static_cast<uint16_t>(RecordType::padding)) continue;
    if (const RecordView* shown = show(raw)) return shown;
  }
  return nullptr;
}

// The writer never goes back: once the next slab has its first record
// begun, what stands at pos in this one is final.
bool LogFollower::Impl::writer_moved_past() const {
  const auto file = bytes();
  const uint64_t next_slab = (pos / framing.slab_size + 1) * framing.slab_size;
  return next_slab + sizeof(uint32_t) <= file.size() && load_le<uint32_t>(file.data() + next_slab) != 0;
}

// Moves pos to the next record that verifies, as the reader's salvage
// does; false when none does yet.
bool LogFollower::Impl::skip_damage() {
  const auto file = bytes();
  detail::RecordScanner scanner(file, framing, file.size(), pos);
  const auto next = scanner.next();
  if (!next) return false;
  pos = next->offset;
  return true;
}

// The writer is gone: the file as it left it, read from pos with the
// closed-log rules.
Status LogFollower::Impl::start_tail() {
  auto opened = open_reader();
  if (!opened) return opened.status();
  final = std::move(*opened);
  tail.emplace(ReaderAccess::bytes(*final), ReaderAccess::framing(*final), ReaderAccess::written_end(*final), pos);
  tail_end = ReaderAccess::walk_end(*final);
  return Status();
}

const RecordView* LogFollower::Impl::from_tail() {
  while (auto raw = tail->next()) {
    if (raw->offset >= tail_end) break;
    if (const RecordView* shown = show(*raw)) return shown;
  }
  end = final->has_footer() && final->header().clean_close ? FollowEnd::closed : FollowEnd::unclosed;
  return nullptr;
}

const RecordView* LogFollower::Impl::next_record() {
  if (end != FollowEnd::running) return nullptr;
  for (;;) {
    if (stop_asked()) {
      end = FollowEnd::stopped;
      return nullptr;
    }
    if (tail) return from_tail();
    if (const RecordView* next = verified_at_pos()) return next;
    const bool writing = detail::held_for_writing(fd);  // before looking again: see wait_for_metadata
    const Status refreshed = refresh();
    if (const RecordView* next = verified_at_pos()) return next;
    if (!writing || !refreshed) {
      if (!start_tail()) {
        end = FollowEnd::unclosed;  // the file cannot be mapped any more: what was read stands
        return nullptr;
      }
      continue;
    }
    // Seen on two looks a poll apart, so that a store the writer made
    // before moving on is not mistaken for one it never made.
    const bool moved_past = writer_moved_past();
    if (moved_past && left_at == pos && skip_damage()) continue;
    left_at = moved_past ? std::optional(pos) : std::nullopt;
    pause();
  }
}

Result<LogFollower> LogFollower::open(const std::filesystem::path& path, FollowOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  impl->options = std::move(options);
  if (Status s = impl->find_file(); !s) return s;
  if (Status s = impl->wait_for_metadata(); !s) return s;
  return LogFollower(std::move(impl));
}

LogFollower::LogFollower(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
LogFollower::LogFollower(LogFollower&&) noexcept = default;
LogFollower& LogFollower::operator=(LogFollower&&) noexcept = default;
LogFollower::~LogFollower() = default;

LogReader& LogFollower::reader() { return *impl_->reader; }
FollowEnd LogFollower::end() const { return impl_->end; }
const RecordView* LogFollower::next_record() { return impl_->next_record(); }

LogReader& LogFollower::final_reader() {
  if (!impl_->final && !impl_->start_tail()) return *impl_->reader;
  return *impl_->final;
}

const CopperListView* LogFollower::next_copperlist(const std::function<void(const RecordView&)>& other) {
  Impl& s = *impl_;
  for (;;) {
    while (s.next_in_batch < s.batch.copperlists.size()) {
      const CopperListView* cl = &s.batch.copperlists[s.next_in_batch++];
      if (s.last_id && cl->id <= *s.last_id) s.stale = true;  // as the reader's walk: the log's data ended
      if (s.stale) break;
      s.last_id = cl->id;
      return cl;
    }
    s.batch.copperlists.clear();
    s.next_in_batch = 0;
    const RecordView* record = s.next_record();
    if (record == nullptr) return nullptr;
    if (record->type != static_cast<uint16_t>(RecordType::copperlists)) {
      if (other) other(*record);
      continue;
    }
    if (s.stale || !detail::parse_copperlists(record->payload, s.shape, s.batch)) s.batch.copperlists.clear();
  }
}

}  // namespace copper::log
