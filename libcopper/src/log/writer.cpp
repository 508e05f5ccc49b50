// Creating and closing a log: header, metadata, summary, index, footer.
#include "copper/log/writer.hpp"

#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <fmt/format.h>
#include <random>
#include <system_error>
#include <thread>

#include "../foxglove/declared.hpp"
#include "../text_util.hpp"
#include "copper/plugin.hpp"
#include "copper/task.hpp"
#include "copper/version.hpp"
#include "page_mapping.hpp"
#include "writer_core.hpp"

namespace copper::log {

namespace {

nlohmann::json default_host() {
  std::array<char, 256> name{};
  if (::gethostname(name.data(), name.size() - 1) != 0) name[0] = '\0';
  utsname uts{};
  std::string kernel = ::uname(&uts) == 0 ? fmt::format("{} {}", uts.sysname, uts.release) : "";
  return {{"hostname", name.data()}, {"kernel", kernel}, {"cpus", std::thread::hardware_concurrency()}};
}

nlohmann::json default_build() {
#ifdef NDEBUG
  const char* build_type = "release";
#else
  const char* build_type = "debug";
#endif
  return {{"copper_version", COPPER_VERSION_STRING}, {"compiler", __VERSION__}, {"build_type", build_type}};
}

Status validate(const WriterOptions& options) {
  if (options.slab_size < kMinSlabSize || options.slab_size > kMaxSlabSize || !std::has_single_bit(options.slab_size))
    return Status::invalid_argument(
        fmt::format("slab size {} bytes: a slab size is {}", options.slab_size, kSlabSizeRule));
  if (options.compression.kind == Compression::Kind::zstd &&
      (options.batch_cls == 0 || options.batch_bytes == 0 || options.batch_bytes > options.slab_size / 4))
    return Status::invalid_argument(fmt::format(
        "zstd batches need 1..{} bytes (a quarter of the slab) and at least one copperlist", options.slab_size / 4));
  return {};
}

// The plugins that provide the graph's task types: the code that wrote
// the log, so a replay can load it again and tell when it changed.
nlohmann::json plugins_metadata(const Graph& graph) {
  nlohmann::json plugins = nlohmann::json::array();
  for (const LoadedPlugin* plugin : loaded_plugins()) {
    const bool used = std::any_of(graph.tasks().begin(), graph.tasks().end(),
                                  [&](const TaskNode& node) { return node.type->origin == plugin->name; });
    if (used) plugins.push_back(plugin->to_json());
  }
  return plugins;
}

}  // namespace

// What a graph contributes to the metadata (docs/log-format.md).
nlohmann::json detail::graph_metadata(const Graph& graph) {
  using nlohmann::json;
  json tasks = json::array();
  for (const TaskNode& node : graph.tasks()) {
    json inputs = json::array();
    for (size_t i = 0; i < node.input_slots.size(); ++i)
      inputs.push_back({{"name", node.type->input_names.at(i)}, {"slot", node.input_slots[i]}});
    json task = {{"index", node.index},
                 {"id", node.id},
                 {"type", node.type->name},
                 {"kind", to_string(node.type->kind)},
                 {"stateless", node.stateless()},
                 {"inputs", std::move(inputs)},
                 {"output_slot", node.output_slot == kNoSlot ? json(nullptr) : json(node.output_slot)}};
    if (!node.type->origin.empty()) task["plugin"] = node.type->origin;
    tasks.push_back(std::move(task));
  }
  json slots = json::array();
  for (size_t i = 0; i < graph.slots().size(); ++i) {
    const SlotInfo& slot = graph.slots()[i];
    slots.push_back({{"index", i},
                     {"producer", graph.tasks()[slot.producer].id},
                     {"type", slot.type->name},
                     {"schema", slot.type->schema},
                     {"schema_hash", fmt::format("{:016x}", slot.type->schema_hash)}});
  }
  json metadata = {{"logging", {{"keyframe_interval", graph.config().logging.keyframe_interval}}},
                   {"config", graph.config().document},
                   {"tasks", std::move(tasks)},
                   {"slots", std::move(slots)}};
  if (json plugins = plugins_metadata(graph); !plugins.empty()) metadata["plugins"] = std::move(plugins);
  return metadata;
}

// How the graph's message types show in Foxglove, as their task library
// declared (copper/foxglove.hpp): checked before the file is made.
Result<nlohmann::json> detail::log_metadata(const Graph& graph) {
  auto views = foxglove::declared_views_of(graph);
  if (!views.ok()) return views.status();
  nlohmann::json metadata = graph_metadata(graph);
  if (!views->empty()) metadata["foxglove"] = std::move(*views);
  return metadata;
}

Result<WriterOptions> WriterOptions::from(const LoggingConfig& logging) {
  auto fsync = FsyncPolicy::parse(logging.fsync);
  if (!fsync.ok()) return fsync.status();
  auto compression = Compression::parse(logging.compress);
  if (!compression.ok()) return compression.status();
  auto slab_size = parse_slab_size(logging.slab_size);
  if (!slab_size.ok()) return slab_size.status();
  WriterOptions options;
  options.path = logging.path;
  options.fsync = *fsync;
  options.compression = *compression;
  options.slab_size = *slab_size;
  options.batch_bytes = std::min(options.batch_bytes, options.slab_size / 4);
  return options;
}

std::chrono::milliseconds WriterOptions::batch_age() const {
  if (offline) return {};
  switch (fsync.kind) {
    case FsyncPolicy::Kind::commit: return {};
    case FsyncPolicy::Kind::interval: {
      const uint64_t ms = std::min<uint64_t>(fsync.interval_ms, kMaxBatchAge.count());
      return std::chrono::milliseconds(std::max<uint64_t>(ms, 1));
    }
    default: return kMaxBatchAge;
  }
}

uint64_t WriterOptions::crash_loss_cls() const {
  if (compression.kind == Compression::Kind::none) return 0;
  return (uint64_t{kQueuedBatches} + 1) * batch_cls;
}

// --- LogWriter: a thin handle on the core.

LogWriter::LogWriter(std::unique_ptr<detail::WriterCore> core) : core_(std::move(core)) {}

LogWriter::~LogWriter() {
  try {
    (void)core_->close("writer destroyed");
  } catch (...) {  // a destructor must not throw; the log stays readable unclosed
  }
}

Result<std::unique_ptr<LogWriter>> LogWriter::create(const WriterOptions& options, const Graph& graph) {
  auto metadata = detail::log_metadata(graph);
  if (!metadata.ok()) return metadata.status();
  return start(options, std::move(metadata.value()), static_cast<uint32_t>(graph.tasks().size()),
               static_cast<uint32_t>(graph.slots().size()));
}

Result<std::unique_ptr<LogWriter>> LogWriter::create_from_metadata(const WriterOptions& options,
                                                                   const nlohmann::json& metadata) {
  const bool shaped = metadata.is_object() && metadata.contains("tasks") && metadata["tasks"].is_array() &&
                      metadata.contains("slots") && metadata["slots"].is_array();
  if (!shaped) return Status::invalid_argument("the metadata has no \"tasks\" and \"slots\" arrays");
  return start(options, metadata, static_cast<uint32_t>(metadata["tasks"].size()),
               static_cast<uint32_t>(metadata["slots"].size()));
}

Result<std::unique_ptr<LogWriter>> LogWriter::start(const WriterOptions& options, nlohmann::json metadata,
                                                    uint32_t task_count, uint32_t slot_count) {
  Status valid = validate(options);
  if (!valid.ok()) return valid;
  const OpenMode mode = options.overwrite ? OpenMode::overwrite : OpenMode::create_new;
  auto file = options.open_file ? options.open_file(options.path, mode) : open_log_file(options.path, mode);
  if (!file.ok()) return file.status();
  auto core = std::make_unique<detail::WriterCore>(options, task_count, slot_count, std::move(*file));
  Status status = core->open(std::move(metadata));
  if (!status.ok()) {
    core->abandon();
    core.reset();  // an overwriting log's new file goes with it; the old one stays
    std::error_code ignored;
    if (mode == OpenMode::create_new) std::filesystem::remove(options.path, ignored);  // ours, and empty
    return status;
  }
  return std::unique_ptr<LogWriter>(new LogWriter(std::move(core)));
}

Status LogWriter::commit(const CopperList& cl) { return core_->commit(cl); }
Status LogWriter::write_event(EventKind kind, uint64_t cl_id, std::string_view message) {
  return core_->write_event(kind, cl_id, message);
}
Status LogWriter::record_failure(const CopperList& cl, const TaskFailure& failure) {
  return core_->write_failure(cl, failure);
}
Status LogWriter::write_strings(std::span<const TextString> strings) { return core_->write_strings(strings); }
Status LogWriter::commit_recorded(const CopperListView& cl) { return core_->commit_recorded(cl); }
Status LogWriter::write_recorded_text(std::span<const TextEntry> entries) {
  return core_->write_recorded_text(entries);
}
Status LogWriter::write_recorded_keyframe(const Keyframe& keyframe) { return core_->write_recorded_keyframe(keyframe); }
Status LogWriter::write_recorded_failure(const RecordedFailure& failure) {
  return core_->write_recorded_failure(failure);
}
Status LogWriter::close(std::string_view end_reason) { return core_->close(end_reason); }
void LogWriter::abandon() { core_->abandon(); }
uint64_t LogWriter::committed_cls() const { return core_->committed_cls(); }
uint64_t LogWriter::durable_cls() const { return core_->durable_cls(); }
uint64_t LogWriter::appended_bytes() const { return core_->appended_bytes(); }
LogWriter::Stats LogWriter::stats() const { return core_->stats(); }

namespace detail {

namespace {

size_t index_capacity(uint64_t slab_size) {
  const uint64_t budget = std::min<uint64_t>(slab_size / 2, 4u << 20);
  return static_cast<size_t>((budget - 8) / 24);
}

// Huge pages make slabs about ten times cheaper to prepare on a VM, but a
// sync writes back whole 2 MiB folios (page_mapping.hpp): only policies that
// sync at most once per 4 MiB get them, so that at most about half as much
// again is written back; a sync per commit or per interval could write 2 MiB
// for a few bytes.
PageSize slab_pages(const WriterOptions& options) {
  if (options.slab_size % kHugePageSize != 0) return PageSize::normal;
  switch (options.fsync.kind) {
    case FsyncPolicy::Kind::none: return PageSize::huge;
    case FsyncPolicy::Kind::bytes: return options.fsync.bytes >= 2 * kHugePageSize ? PageSize::huge : PageSize::normal;
    default: return PageSize::normal;
  }
}

}  // namespace

void Index::add(uint64_t first_cl_id, uint32_t cl_count, uint64_t offset) {
  const uint64_t ordinal = records_++;
  if ((ordinal & (stride_ - 1)) != 0) return;  // stride_ is a power of two: no division per record
  if (entries_.size() == entries_.capacity()) {
    // Entry i is record i * stride_: even positions survive a doubling.
    size_t kept = 0;
    for (size_t i = 0; i < entries_.size(); i += 2) entries_[kept++] = entries_[i];
    entries_.resize(kept);
    stride_ *= 2;
    if ((ordinal & (stride_ - 1)) != 0) return;
  }
  entries_.push_back({first_cl_id, cl_count, offset});
}

WriterCore::WriterCore(const WriterOptions& options, uint32_t task_count, uint32_t slot_count,
                       std::unique_ptr<LogFile> file)
    : options_(options),
      file_(std::move(file)),
      slab_size_(options.slab_size),
      task_count_(task_count),
      slot_count_(slot_count),
      zstd_(options.compression.kind == Compression::Kind::zstd),
      close_when_idle_(options.fsync.kind == FsyncPolicy::Kind::commit && !options.offline),
      slot_sizes_(slot_count),
      index_(index_capacity(options.slab_size)),
      slabs_(*file_, options.slab_size, slab_pages(options), options.fsync.kind == FsyncPolicy::Kind::none,
             slab_hooks()),
      appender_(slabs_, options.slab_size, appender_hooks()),
      flusher_(*file_, slabs_, options.slab_size, options.fsync,
               Flusher::Appended{&appender_.published_end(), &appended_cls_},
               [this](Status status) { set_background_failure(std::move(status)); }) {
  keyframe_states_.reserve(task_count);
  strings_written_.reserve(1024);
  if (zstd_)
    compressor_ =
        std::make_unique<BatchCompressor>(options.compression.level, options.batch_bytes, options.batch_age());
}

WriterCore::~WriterCore() {
  stop_threads();
  slabs_.unmap_all();
}

// The slab ring asks the flusher to sync when its slots are all taken.
RecordAppender::Hooks WriterCore::appender_hooks() {
  RecordAppender::Hooks hooks;
  hooks.background_failure = [this] {
    check_truncation();
    return check_background();
  };
  hooks.keep = [this](Status status) { return fail(std::move(status)); };
  hooks.retire_on_leave = [this] { return !flusher_.running(); };
  return hooks;
}

SlabRing::Hooks WriterCore::slab_hooks() {
  SlabRing::Hooks hooks;
  hooks.ring_full = [this] { flusher_.wake(); };
  return hooks;
}

// The header goes in first, by pwrite, before the file grows: a recorder
// killed at once leaves an empty copper log, not megabytes of zeros. The
// metadata record follows twice, and starts every later slab
// (docs/log-format.md, "File layout"). Only then is an overwriting log put
// in place of the old one.
Status WriterCore::open(nlohmann::json metadata) {
  opened_at_ = std::chrono::steady_clock::now();
  created_ns_ = wall_now_ns();
  std::random_device random;
  for (size_t i = 0; i < run_id_.size(); i += 4) store_le<uint32_t>(run_id_.data() + i, random());
  appender_.set_record_seed(record_seed(kFormatVersion, run_id_));
  const auto file_header = encode_file_header();
  Status status = file_->write_at(0, file_header);
  if (status.ok()) status = slabs_.prepare(0);
  if (!status.ok()) return status;
  std::memcpy(appender_.start(kFileHeaderSize), file_header.data(), file_header.size());
  learn_slot_producers(metadata);
  complete_metadata(metadata);
  const uint64_t metadata_offset = appender_.position();
  status = write_json(RecordType::metadata, metadata);
  if (status.ok()) status = appender_.repeat_at_slab_starts(metadata_offset);
  if (status.ok()) status = file_->publish();
  if (!status.ok()) return status;
  start_threads();
  return write_event(EventKind::start, 0, "recording started");
}

// Which task produces each slot (metadata "slots"[i].producer, a task id,
// against "tasks"), for the failure record: a slot whose producer did not
// finish holds no message of the failed copperlist.
void WriterCore::learn_slot_producers(const nlohmann::json& metadata) {
  slot_producer_.assign(slot_count_, kNoTask);
  const auto& tasks = metadata.value("tasks", nlohmann::json::array());
  const auto& slots = metadata.value("slots", nlohmann::json::array());
  for (size_t slot = 0; slot < slots.size() && slot < slot_producer_.size(); ++slot) {
    const std::string producer = slots[slot].value("producer", "");
    for (size_t task = 0; task < tasks.size(); ++task)
      if (tasks[task].value("id", "") == producer) slot_producer_[slot] = static_cast<uint32_t>(task);
  }
}

std::array<uint8_t, kFileHeaderSize> WriterCore::encode_file_header() const {
  std::array<uint8_t, kFileHeaderSize> bytes{};
  uint8_t* h = bytes.data();
  std::memcpy(h + header::kMagic, kFileMagic.data(), kFileMagic.size());
  store_le<uint32_t>(h + header::kVersion, kFormatVersion);
  store_le<uint32_t>(h + header::kHeaderSize, kFileHeaderSize);
  store_le<uint64_t>(h + header::kFlags, 0);
  std::memcpy(h + header::kRunId, run_id_.data(), run_id_.size());
  store_le<int64_t>(h + header::kCreated, created_ns_);
  store_le<uint64_t>(h + header::kSlabSize, slab_size_);
  store_le<uint64_t>(h + header::kChecksum, header_checksum(h));
  return bytes;
}

// The writer's own fields; the rest (config, tasks, slots) comes from the
// graph or from the log being rewritten. An existing host or build object
// is kept: a recovered log still says where it was recorded.
void WriterCore::complete_metadata(nlohmann::json& metadata) const {
  metadata["format_version"] = kFormatVersion;
  metadata["run_id"] = ::copper::detail::hex(run_id_);
  metadata["created_unix_ns"] = created_ns_;
  metadata["slab_size"] = slab_size_;
  if (!options_.host_info.is_null() || !metadata.contains("host"))
    metadata["host"] = options_.host_info.is_null() ? default_host() : options_.host_info;
  if (!options_.build_info.is_null() || !metadata.contains("build"))
    metadata["build"] = options_.build_info.is_null() ? default_build() : options_.build_info;
  nlohmann::json& logging = metadata["logging"];
  if (!logging.is_object()) logging = nlohmann::json::object();
  logging["fsync"] = options_.fsync.to_string();
  logging["compress"] = options_.compression.to_string();
  if (!logging.contains("keyframe_interval")) logging["keyframe_interval"] = 0;
}

Status WriterCore::write_json(RecordType type, const nlohmann::json& value) {
  const std::string text = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return appender_.append(type, 0, {reinterpret_cast<const uint8_t*>(text.data()), text.size()});
}

LogWriter::Stats WriterCore::stats() const {
  LogWriter::Stats s;
  s.cls = cls_;
  s.raw_cl_bytes = raw_cl_bytes_;
  s.stored_cl_bytes = stored_cl_bytes_;
  s.file_bytes = appender_.position();
  s.syncs = flusher_.syncs();
  s.text_entries = text_entries_;
  s.text_dropped = text_dropped_;
  s.keyframes = keyframes_;
  s.slab_waits = appender_.slab_waits();
  s.raw_batches = raw_batches_;
  return s;
}

// --- closing

Status WriterCore::write_summary(std::string_view end_reason, uint64_t& offset) {
  nlohmann::json records = nlohmann::json::object(), bytes = nlohmann::json::object();
  for (size_t type = 1; type < kRecordTypes; ++type) {
    const auto kind = static_cast<RecordType>(type);
    if (appender_.records(kind) == 0) continue;
    const char* name = to_string(kind);
    records[name] = appender_.records(kind);
    bytes[name] = appender_.payload_bytes(kind);
  }
  const auto wall = std::chrono::steady_clock::now() - opened_at_;
  nlohmann::json summary = {
      {"cl_count", cls_},
      {"first_cl_id", cls_ == 0 ? nlohmann::json(nullptr) : nlohmann::json(first_cl_id_)},
      {"last_cl_id", cls_ == 0 ? nlohmann::json(nullptr) : nlohmann::json(last_cl_id_)},
      {"records", std::move(records)},
      {"bytes", std::move(bytes)},
      {"raw_cl_bytes", raw_cl_bytes_},
      {"stored_cl_bytes", stored_cl_bytes_},
      {"text_entries", text_entries_},
      {"text_dropped", text_dropped_},
      {"keyframes", keyframes_},
      {"end_reason", end_reason},
      {"wall_time_ns", std::chrono::duration_cast<std::chrono::nanoseconds>(wall).count()}};
  const std::string text = summary.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  auto at = appender_.begin(text.size());
  if (!at.ok()) return at.status();
  offset = appender_.position();
  std::memcpy(*at, text.data(), text.size());
  appender_.finish(RecordType::summary, 0, static_cast<uint32_t>(text.size()));
  return {};
}

Status WriterCore::write_index(uint64_t& offset) {
  const auto& entries = index_.entries();
  const uint64_t length = index_record_size(entries.size());
  auto at = appender_.begin(length);
  if (!at.ok()) return at.status();
  offset = appender_.position();
  encode_index_record(*at, entries);
  appender_.finish(RecordType::index, 0, static_cast<uint32_t>(length));
  return {};
}

Status WriterCore::write_footer(uint64_t summary_offset, uint64_t index_offset) {
  auto at = appender_.begin(Footer::kSize);
  if (!at.ok()) return at.status();
  Footer{summary_offset, index_offset, appended_cls_.load(std::memory_order_relaxed), appender_.position()}.encode(*at);
  appender_.finish(RecordType::footer, 0, Footer::kSize);
  return {};
}

// Run by the closing thread once the flusher has stopped.
Status WriterCore::final_sync() {
  if (flusher_.failed()) return {};  // reported already; syncing again proves nothing
  const uint64_t copperlists = appended_cls_.load(std::memory_order_relaxed);
  const uint64_t end = appender_.position();
  if (end > flusher_.synced_end()) {
    Status status = flusher_.sync_to(end);
    if (!status.ok()) {
      flusher_.set_failed();
      return fail(status);
    }
  }
  slabs_.retire_below(end);
  slabs_.wake();  // it may be waiting for those slabs to be retirable
  flusher_.durable(end, copperlists);
  return append_sync_marks();
}

Status WriterCore::set_clean_flag() {
  auto mapping = file_->map(0, kFileHeaderSize, PageSize::normal);
  if (!mapping.ok()) return mapping.status();
  uint8_t* h = (*mapping)->data();
  store_le<uint64_t>(h + header::kFlags, load_le<uint64_t>(h + header::kFlags) | kFlagCleanClose);
  store_le<uint64_t>(h + header::kChecksum, header_checksum(h));
  Status status = file_->flush(**mapping, 0, kFileHeaderSize);
  return status.ok() ? file_->datasync() : status;
}

Status WriterCore::drain_batches() {
  Status status;
  if (!zstd_) return status;
  if (filling_ != nullptr) submit_batch();  // waited for below: close may wait
  while (compressor_->outstanding() > 0) {
    const uint32_t seen = compressor_->events();
    Status drained = drain_compressed();
    if (status.ok()) status = drained;
    if (compressor_->outstanding() > 0) compressor_->wait_for_event(seen);
  }
  return status;
}

Status WriterCore::finish_close(std::string_view end_reason) {
  Status status = drain_batches();
  if (compressor_) compressor_->stop();
  auto keep = [&status](Status next) {
    if (status.ok()) status = std::move(next);
  };
  keep(append_sync_marks());
  check_truncation();
  Status earlier = check_background();
  if (!earlier.ok()) (void)write_event(EventKind::error, last_cl_id_, earlier.message());
  keep(write_event(EventKind::stop, last_cl_id_, end_reason));
  flusher_.stop();
  keep(final_sync());
  uint64_t summary_offset = 0, index_offset = 0;
  Status tail = write_summary(end_reason, summary_offset);
  if (tail.ok()) tail = write_index(index_offset);
  if (tail.ok()) tail = write_footer(summary_offset, index_offset);
  if (tail.ok() && !flusher_.failed()) tail = flusher_.sync_to(appender_.position());
  slabs_.stop();
  slabs_.unmap_all();
  // The clean flag promises a complete, durable log: not after a failed
  // sync, nor over a file another process cut (truncating it now would
  // grow it again with zeros).
  if (tail.ok() && !flusher_.failed() && !file_->truncated()) {
    tail = file_->truncate(appender_.position());
    if (tail.ok()) tail = set_clean_flag();
  }
  keep(std::move(tail));
  return earlier.ok() ? status : earlier;
}

Status WriterCore::close(std::string_view end_reason) {
  if (closed_) return close_status_;
  close_status_ = finish_close(end_reason);
  closed_ = true;
  return close_status_;
}

void WriterCore::abandon() {
  if (closed_) return;
  stop_threads();
  slabs_.unmap_all();
  closed_ = true;
  close_status_ = Status::error("log writer abandoned without closing");
}

}  // namespace detail
}  // namespace copper::log
