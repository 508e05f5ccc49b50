#include "copper/log/reader.hpp"

#include <algorithm>
#include <bit>
#include <system_error>

#include <fmt/format.h>

#include "../text_util.hpp"
#include "copper/message_schema.hpp"
#include "reader_access.hpp"
#include "record_parse.hpp"
#include "record_scanner.hpp"

namespace copper::log {

namespace {

using ::copper::detail::fail;

bool valid_slab_size(uint64_t size) { return size >= kMinSlabSize && std::has_single_bit(size); }

// Stands in for the slab size while it is unknown: only the file bounds a record.
constexpr uint64_t kUnboundedSlab = uint64_t{1} << 62;


Status check_file(const std::filesystem::path& path) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (status.type() == std::filesystem::file_type::not_found)
    return fail(StatusCode::not_found, "{}: no such file", path.string());
  if (ec) return fail(StatusCode::io_error, "{}: {}", path.string(), ec.message());
  if (std::filesystem::is_directory(status))
    return fail(StatusCode::corruption, "{}: is a directory, not a log file", path.string());
  if (!std::filesystem::is_regular_file(status))
    return fail(StatusCode::corruption, "{}: not a regular file", path.string());
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) return fail(StatusCode::io_error, "{}: {}", path.string(), ec.message());
  // An empty file cannot be mapped, so it is caught here.
  if (size == 0) return fail(StatusCode::corruption, "{}: empty file, not a copper log", path.string());
  if (size < kFileHeaderSize)
    return fail(StatusCode::corruption, "{}: {} bytes, too short for a copper log (its header alone is {})",
                path.string(), size, kFileHeaderSize);
  return Status();
}

Result<LogHeader> parse_header(std::span<const uint8_t> bytes, const std::string& name) {
  const uint8_t* p = bytes.data();
  if (!std::equal(kFileMagic.begin(), kFileMagic.end(), p))
    return fail(StatusCode::corruption, "{}: not a copper log", name);
  LogHeader h;
  h.checksum_ok = load_le<uint64_t>(p + header::kChecksum) == header_checksum(p);
  h.version = load_le<uint32_t>(p + header::kVersion);
  // Fields under a failed checksum are damage, not the writer's word: a
  // flipped version bit must not make the log unreadable.
  if (h.checksum_ok && h.version > kFormatVersion)
    return fail(StatusCode::corruption, "{}: written by a newer copper: format version {}, this reader knows {}", name,
                h.version, kFormatVersion);
  if (h.checksum_ok && h.version == 0) return fail(StatusCode::corruption, "{}: unknown format version 0", name);
  const uint32_t header_size = load_le<uint32_t>(p + header::kHeaderSize);
  if (h.checksum_ok && header_size != kFileHeaderSize)
    return fail(StatusCode::corruption, "{}: header size {}, format version {} has {}", name, header_size,
                kFormatVersion, kFileHeaderSize);
  h.clean_close = (load_le<uint64_t>(p + header::kFlags) & kFlagCleanClose) != 0;
  std::copy_n(p + header::kRunId, h.run_id.size(), h.run_id.begin());
  h.run_id_hex = ::copper::detail::hex(h.run_id);
  h.created_unix_ns = load_le<int64_t>(p + header::kCreated);
  h.slab_size = load_le<uint64_t>(p + header::kSlabSize);
  return h;
}

std::string type_name(uint16_t type) {
  const char* name = to_string(static_cast<RecordType>(type));
  return std::string_view(name) == "unknown" ? fmt::format("unknown({})", type) : std::string(name);
}

}  // namespace

struct LogReader::Impl {
  std::filesystem::path path;
  std::unique_ptr<FileView> view;
  std::span<const uint8_t> bytes;  // view's
  uint64_t written_end = 0;
  LogHeader header;
  detail::Framing framing{kDefaultSlabSize, 0};
  std::vector<Damage> open_damage;
  std::optional<uint64_t> stale_from;  // where copperlist ids went back: set by run_check

  nlohmann::json metadata;
  std::optional<detail::ClShape> shape;
  std::vector<std::string> task_ids;
  std::vector<std::string> slot_keys;
  std::vector<Result<MessageDecoder>> slot_decoders;  // compiled once: decoding is per message

  std::optional<Footer> footer;
  nlohmann::json summary;
  std::optional<detail::IndexView> index;
  std::vector<uint8_t> index_storage;  // a decompressed index lives here

  std::optional<CheckReport> checked;
  detail::PayloadDecoder decoder;
  detail::CopperListBatch batch;
  std::vector<TextEntry> text;
  std::vector<KeyframeState> states;

  void choose_framing_and_read_metadata();
  uint64_t choose_seed() const;
  std::optional<detail::RawRecord> find_metadata() const;
  void learn_metadata();
  void read_footer();
  std::optional<detail::RawRecord> record_at(uint64_t offset, RecordType type) const;
  Result<std::span<const uint8_t>> payload_at(uint64_t offset, RecordType type);
  CheckReport run_check();
  Status absorb(const detail::RawRecord& record, std::span<const uint8_t> payload, CheckReport& report);
  Status absorb_copperlists(const detail::RawRecord& record, std::span<const uint8_t> payload, CheckReport& report);
  void check_end(CheckReport& report) const;
  uint64_t copperlist_start(uint64_t from_id);
  bool walk_copperlists(uint64_t start, const std::function<bool(const CopperListView&)>& visit);
};

// A verified record of the given type at a plausible offset, else nothing.
std::optional<detail::RawRecord> LogReader::Impl::record_at(uint64_t offset, RecordType type) const {
  detail::RawRecord record;
  if (offset < kFileHeaderSize || offset % 8 != 0) return std::nullopt;
  if (detail::verify_record(bytes, offset, framing, record) != nullptr) return std::nullopt;
  if (record.type != static_cast<uint16_t>(type)) return std::nullopt;
  return record;
}

Result<std::span<const uint8_t>> LogReader::Impl::payload_at(uint64_t offset, RecordType type) {
  auto record = record_at(offset, type);
  if (!record) return fail(StatusCode::corruption, "no verified {} record at offset {}", to_string(type), offset);
  return decoder.decode(*record);
}

// The slab size bounds every record and the record seed verifies it, so
// both are settled before anything else is read; the metadata comes first
// in the file and fits any slab size.
void LogReader::Impl::choose_framing_and_read_metadata() {
  const bool header_slab = header.checksum_ok && valid_slab_size(header.slab_size);
  if (!header.checksum_ok)
    open_damage.push_back(Damage{0, kFileHeaderSize, "file header checksum mismatch"});
  else if (!header_slab)
    open_damage.push_back(Damage{0, kFileHeaderSize, fmt::format("invalid slab size {}", header.slab_size)});
  framing.slab_size = header_slab ? header.slab_size : kUnboundedSlab;
  framing.seed = choose_seed();
  const auto record = find_metadata();
  auto payload = record ? decoder.decode(*record) : fail(StatusCode::corruption, "no verified metadata record");
  Status parsed = payload ? detail::parse_json_object(*payload, metadata) : payload.status();
  // Nothing past the header: a recorder stopped before its first record,
  // an empty log rather than a damaged one.
  const bool empty_log = written_end <= kFileHeaderSize && !header.clean_close;
  if (!parsed) {
    metadata = nullptr;
    if (!empty_log)
      open_damage.push_back(Damage{kFileHeaderSize, 0, fmt::format("metadata unreadable: {}", parsed.message())});
  }
  if (header_slab) return;
  const auto it = metadata.is_object() ? metadata.find("slab_size") : metadata.end();
  const bool from_metadata = it != metadata.end() && it->is_number_unsigned() && valid_slab_size(it->get<uint64_t>());
  framing.slab_size = from_metadata ? it->get<uint64_t>() : kDefaultSlabSize;
}

// The header's word when its checksum holds. Otherwise the seed under
// which the first record verifies: version 2's from the run id, or
// version 1's.
uint64_t LogReader::Impl::choose_seed() const {
  if (header.checksum_ok) return record_seed(header.version, header.run_id);
  detail::RawRecord record;
  for (const uint32_t version : {kFormatVersion, kOldestFormatVersion}) {
    const detail::Framing candidate{framing.slab_size, record_seed(version, header.run_id)};
    if (detail::verify_record(bytes, kFileHeaderSize, candidate, record) == nullptr) return candidate.seed;
  }
  return record_seed(kFormatVersion, header.run_id);
}

// The first metadata record that verifies: the one after the header; when
// it is damaged, its copy right after it, else the copy that starts each
// later slab (docs/log-format.md, "File layout").
std::optional<detail::RawRecord> LogReader::Impl::find_metadata() const {
  if (auto first = record_at(kFileHeaderSize, RecordType::metadata)) return first;
  detail::RecordScanner scanner(bytes, framing, written_end, kFileHeaderSize);
  if (auto next = scanner.next();
      next && next->offset < framing.slab_size && next->type == static_cast<uint16_t>(RecordType::metadata))
    return next;
  for (uint64_t offset = framing.slab_size; offset < bytes.size() && offset >= framing.slab_size;
       offset += framing.slab_size)
    if (auto copy = record_at(offset, RecordType::metadata)) return copy;
  return std::nullopt;
}

void LogReader::Impl::learn_metadata() {
  if (!metadata.is_object()) return;
  const auto tasks = metadata.find("tasks");
  const auto slots = metadata.find("slots");
  if (tasks == metadata.end() || slots == metadata.end() || !tasks->is_array() || !slots->is_array()) return;
  shape = detail::ClShape{static_cast<uint32_t>(tasks->size()), static_cast<uint32_t>(slots->size())};
  for (size_t i = 0; i < tasks->size(); ++i) {
    const auto& task = (*tasks)[i];
    const bool named = task.is_object() && task.contains("id") && task["id"].is_string();
    task_ids.push_back(named ? task["id"].get<std::string>() : std::to_string(i));
  }
  for (size_t i = 0; i < slots->size(); ++i) {
    const auto& slot = (*slots)[i];
    const bool named = slot.is_object() && slot.contains("producer") && slot["producer"].is_string();
    slot_keys.push_back(named ? slot["producer"].get<std::string>() : fmt::format("slot{}", i));
    const bool has_schema = slot.is_object() && slot.contains("schema");
    slot_decoders.push_back(has_schema ? MessageDecoder::compile(slot["schema"])
                                       : Result<MessageDecoder>(Status::error("no schema in the metadata")));
  }
}

// A clean close ends the file with the footer, so it is found without a scan.
void LogReader::Impl::read_footer() {
  const uint64_t footprint = record_footprint(Footer::kSize);
  if (bytes.size() < kFileHeaderSize + footprint) return;
  const uint64_t offset = bytes.size() - footprint;
  auto payload = payload_at(offset, RecordType::footer);
  Footer parsed;
  if (!payload || !detail::parse_footer(*payload, parsed) || parsed.data_end != offset) return;
  footer = parsed;
  auto summary_payload = payload_at(parsed.summary_offset, RecordType::summary);
  if (summary_payload && !detail::parse_json_object(*summary_payload, summary)) summary = nullptr;
  auto index_record = record_at(parsed.index_offset, RecordType::index);
  if (!index_record) return;
  auto index_payload = decoder.decode(*index_record);
  if (!index_payload) return;
  if (index_record->flags & kRecordFlagZstd) {
    index_storage.assign(index_payload->begin(), index_payload->end());
    index_payload = std::span<const uint8_t>(index_storage);
  }
  if (auto parsed_index = detail::IndexView::parse(*index_payload)) index = *parsed_index;
}

std::string RecordedFailure::describe() const {
  return fmt::format("task \"{}\" failed in {} at copperlist {}: {}", task_id, phase, cl_id, message);
}

Result<LogReader> LogReader::open(const std::filesystem::path& path) { return open(path, open_file_view); }

Result<LogReader> LogReader::open(const std::filesystem::path& path, const FileViewFactory& open_view) {
  if (Status s = check_file(path); !s) return s;
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  auto view = open_view(path);
  if (!view) return view.status();
  impl->view = std::move(view.value());
  impl->bytes = impl->view->bytes();
  if (impl->bytes.size() < kFileHeaderSize)
    return fail(StatusCode::io_error, "{}: {} bytes mapped, fewer than the file's header: it shrank while being opened",
                path.string(), impl->bytes.size());
  auto header = parse_header(impl->bytes, path.string());
  if (!header) return header.status();
  impl->header = std::move(header.value());
  impl->written_end = detail::written_end(impl->bytes);
  impl->choose_framing_and_read_metadata();
  impl->learn_metadata();
  impl->read_footer();
  return LogReader(std::move(impl));
}

LogReader::LogReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
LogReader::LogReader(LogReader&&) noexcept = default;
LogReader& LogReader::operator=(LogReader&&) noexcept = default;
LogReader::~LogReader() = default;

const std::filesystem::path& LogReader::path() const { return impl_->path; }
uint64_t LogReader::file_size() const { return impl_->bytes.size(); }
const LogHeader& LogReader::header() const { return impl_->header; }
uint64_t LogReader::slab_size() const { return impl_->framing.slab_size; }
const nlohmann::json& LogReader::metadata() const { return impl_->metadata; }
bool LogReader::has_footer() const { return impl_->footer.has_value(); }
const nlohmann::json& LogReader::summary() const { return impl_->summary; }

const CheckReport& LogReader::check() {
  if (!impl_->checked) impl_->checked = impl_->run_check();
  return *impl_->checked;
}

CheckReport LogReader::Impl::run_check() {
  CheckReport report;
  std::vector<Damage> damage = open_damage;
  detail::RecordScanner scanner(bytes, framing, written_end, kFileHeaderSize);
  while (auto record = scanner.next()) {
    auto payload = decoder.decode(*record);
    Status s = payload ? absorb(*record, *payload, report) : payload.status();
    if (stale_from) {
      damage.push_back(
          Damage{record->offset, std::max(written_end, record->offset) - record->offset, std::string(s.message())});
      break;
    }
    ++report.verified_records;
    ++report.records_by_type[type_name(record->type)];
    if (!s) damage.push_back(detail::record_damage(*record, s.message()));
  }
  damage.insert(damage.end(), scanner.damage().begin(), scanner.damage().end());
  report.unwritten_tail_bytes =
      stale_from ? bytes.size() - std::max(written_end, *stale_from) : scanner.unwritten_tail();
  report.damage = std::move(damage);
  check_end(report);
  std::stable_sort(report.damage.begin(), report.damage.end(),
                   [](const Damage& a, const Damage& b) { return a.offset < b.offset; });
  return report;
}

Status LogReader::Impl::absorb(const detail::RawRecord& record, std::span<const uint8_t> payload, CheckReport& report) {
  switch (static_cast<RecordType>(record.type)) {
    case RecordType::copperlists: return absorb_copperlists(record, payload, report);
    case RecordType::text: {
      Status s = detail::parse_text(payload, text);
      if (s) report.text_entries += text.size();
      return s;
    }
    case RecordType::string: {
      StringEntry entry;
      Status s = detail::parse_string(payload, entry);
      if (s) report.strings.push_back(std::move(entry));
      return s;
    }
    case RecordType::keyframe: {
      uint64_t cl_id = 0;
      Status s = detail::parse_keyframe(payload, cl_id, states);
      if (s) ++report.keyframes;
      return s;
    }
    case RecordType::event: {
      Event event;
      Status s = detail::parse_event(payload, event);
      if (s) report.events.push_back(std::move(event));
      return s;
    }
    case RecordType::sync: {
      SyncMark mark;
      Status s = detail::parse_sync(payload, mark);
      if (s) report.sync_marks.push_back(mark);
      return s;
    }
    case RecordType::summary: {
      nlohmann::json json;
      return detail::parse_json_object(payload, json);
    }
    case RecordType::index: return detail::IndexView::parse(payload).status();
    case RecordType::footer: {
      Footer parsed;
      return detail::parse_footer(payload, parsed);
    }
    case RecordType::failure: {
      RecordedFailure failure;
      Status s = detail::parse_failure(payload, shape, failure);
      if (s) report.failure = std::move(failure);
      return s;
    }
    case RecordType::metadata:  // read at open
    case RecordType::padding: return Status();
  }
  return Status();  // a type newer than this reader
}

// Copperlist ids increase through a log; one that goes back or repeats is
// where the log's own data ends and bytes left by an earlier recording
// begin (a reused or preallocated file after a power loss): that record and
// everything after it are ignored. Version 2's seeded checksums reject such
// records already; this also guards version 1 logs.
Status LogReader::Impl::absorb_copperlists(const detail::RawRecord& record, std::span<const uint8_t> payload,
                                           CheckReport& report) {
  if (Status s = detail::parse_copperlists(payload, shape, batch); !s) return s;
  for (const auto& cl : batch.copperlists) {
    if (report.last_cl_id && cl.id <= *report.last_cl_id) {
      stale_from = record.offset;
      return fail(StatusCode::corruption,
                  "copperlist {} after copperlist {}: ids go back, so the rest of the file is taken for stale data "
                  "from an earlier recording and ignored",
                  cl.id, *report.last_cl_id);
    }
    if (report.last_cl_id && cl.id > *report.last_cl_id + 1)
      report.missing_cls.emplace_back(*report.last_cl_id + 1, cl.id - 1);
    if (!report.first_cl_id) report.first_cl_id = cl.id;
    report.last_cl_id = cl.id;
    ++report.cl_count;
  }
  return Status();
}

// What can only be known at the end: a cleanly closed log that lost its
// footer was cut short, even if it was cut exactly between two records.
void LogReader::Impl::check_end(CheckReport& report) const {
  if (header.checksum_ok && header.clean_close && !footer)
    report.damage.push_back(
        Damage{bytes.size(), 0, "the log was closed cleanly but its footer is missing: the file was cut"});
  if (footer && footer->cl_count != report.cl_count)
    report.damage.push_back(
        Damage{footer->data_end, record_footprint(Footer::kSize),
               fmt::format("the footer counts {} copperlists, the file holds {}", footer->cl_count, report.cl_count)});
}

// A version 1 log's records carry no run identity, so its walk stops where
// check() found copperlist ids going back (absorb_copperlists).
void LogReader::for_each_record(const std::function<bool(const RecordView&)>& visit) {
  if (impl_->header.version < 2) check();
  const uint64_t end = impl_->stale_from.value_or(UINT64_MAX);
  detail::RecordScanner scanner(impl_->bytes, impl_->framing, impl_->written_end, kFileHeaderSize);
  while (auto record = scanner.next()) {
    if (record->offset >= end) return;
    auto payload = impl_->decoder.decode(*record);
    if (!payload) continue;
    if (!visit(RecordView{record->type, record->flags, record->offset, record->footprint, *payload})) return;
  }
}

// Where to start looking for from_id: the index's seek point for it when
// that record verifies and does not start past it, else the first record.
uint64_t LogReader::Impl::copperlist_start(uint64_t from_id) {
  const auto entry = index ? index->seek_point(from_id) : std::nullopt;
  if (!entry) return kFileHeaderSize;
  auto payload = payload_at(entry->offset, RecordType::copperlists);
  if (!payload || !detail::parse_copperlists(*payload, shape, batch) || batch.copperlists.empty())
    return kFileHeaderSize;
  return batch.copperlists.front().id <= from_id ? entry->offset : kFileHeaderSize;
}

// False when visit asked to stop.
bool LogReader::Impl::walk_copperlists(uint64_t start, const std::function<bool(const CopperListView&)>& visit) {
  detail::RecordScanner scanner(bytes, framing, written_end, start);
  std::optional<uint64_t> last_id;
  while (auto record = scanner.next()) {
    if (record->type != static_cast<uint16_t>(RecordType::copperlists)) continue;
    auto payload = decoder.decode(*record);
    if (!payload || !detail::parse_copperlists(*payload, shape, batch)) continue;
    for (const auto& cl : batch.copperlists) {
      if (last_id && cl.id <= *last_id) return true;  // stale data past the log's end (absorb_copperlists)
      last_id = cl.id;
      if (!visit(cl)) return false;
    }
  }
  return true;
}

void LogReader::for_each_copperlist(const std::function<bool(const CopperListView&)>& visit, uint64_t from_id) {
  const uint64_t start = from_id == 0 ? kFileHeaderSize : impl_->copperlist_start(from_id);
  impl_->walk_copperlists(start, [&](const CopperListView& cl) { return cl.id < from_id || visit(cl); });
}

struct CopperListCursor::State {
  State(const LogReader::Impl& reader, uint64_t start, uint64_t from)
      : scanner(reader.bytes, reader.framing, reader.written_end, start), shape(reader.shape), from_id(from) {}
  detail::RecordScanner scanner;
  std::optional<detail::ClShape> shape;
  uint64_t from_id;
  std::optional<uint64_t> last_id;  // ids that go back end the walk (absorb_copperlists)
  bool ended = false;
  detail::PayloadDecoder decoder;
  detail::CopperListBatch batch;
  size_t next_in_batch = 0;
  bool in_mapping = false;  // the batch was parsed from the record as stored

  // Moves to the next copperlists record that decodes; false at the end.
  bool load_batch() {
    while (auto record = scanner.next()) {
      if (record->type != static_cast<uint16_t>(RecordType::copperlists)) continue;
      auto payload = decoder.decode(*record);
      if (!payload || !detail::parse_copperlists(*payload, shape, batch)) continue;
      next_in_batch = 0;
      in_mapping = payload->data() == record->stored.data();
      return true;
    }
    batch.copperlists.clear();
    return false;
  }
};

CopperListCursor::CopperListCursor(std::unique_ptr<State> state) : state_(std::move(state)) {}
CopperListCursor::CopperListCursor(CopperListCursor&&) noexcept = default;
CopperListCursor& CopperListCursor::operator=(CopperListCursor&&) noexcept = default;
CopperListCursor::~CopperListCursor() = default;

const CopperListView* CopperListCursor::next() {
  State& s = *state_;
  for (;;) {
    while (s.next_in_batch < s.batch.copperlists.size()) {
      const CopperListView* cl = &s.batch.copperlists[s.next_in_batch++];
      if (s.last_id && cl->id <= *s.last_id) s.ended = true;
      if (s.ended) return nullptr;
      s.last_id = cl->id;
      if (cl->id >= s.from_id) return cl;
    }
    if (!s.load_batch()) return nullptr;
  }
}

bool CopperListCursor::last_in_mapping() const { return state_->in_mapping; }

CopperListCursor LogReader::copperlists(uint64_t from_id) {
  const uint64_t start = from_id == 0 ? kFileHeaderSize : impl_->copperlist_start(from_id);
  return CopperListCursor(std::make_unique<CopperListCursor::State>(*impl_, start, from_id));
}

bool LogReader::find_copperlist(uint64_t id, const std::function<void(const CopperListView&)>& visit) {
  bool found = false;
  for_each_copperlist(
      [&](const CopperListView& cl) {
        if (cl.id == id) {
          found = true;
          visit(cl);
        }
        return false;  // ids increase: the first one at or past id settles it
      },
      id);
  return found;
}

void LogReader::for_each_text(const std::function<bool(const TextEntry&)>& visit) {
  for_each_record([&](const RecordView& record) {
    if (record.type != static_cast<uint16_t>(RecordType::text)) return true;
    if (!detail::parse_text(record.payload, impl_->text)) return true;
    for (const auto& entry : impl_->text)
      if (!visit(entry)) return false;
    return true;
  });
}

void LogReader::for_each_keyframe(const std::function<bool(const Keyframe&)>& visit) {
  for_each_record([&](const RecordView& record) {
    if (record.type != static_cast<uint16_t>(RecordType::keyframe)) return true;
    Keyframe keyframe;
    if (!detail::parse_keyframe(record.payload, keyframe.cl_id, impl_->states)) return true;
    keyframe.states = impl_->states;
    return visit(keyframe);
  });
}

Result<MessageDecoder> LogReader::slot_decoder(size_t slot) const {
  if (slot >= impl_->slot_decoders.size())
    return fail(StatusCode::invalid_argument, "slot {} is not in the metadata", slot);
  return impl_->slot_decoders[slot];
}

nlohmann::json LogReader::copperlist_to_json(const CopperListView& cl) const {
  nlohmann::json tasks = nlohmann::json::array();
  for (size_t i = 0; i < cl.tasks.size(); ++i) {
    const auto& t = cl.tasks[i];
    const std::string id = i < impl_->task_ids.size() ? impl_->task_ids[i] : std::to_string(i);
    tasks.push_back({{"id", id}, {"start_ns", t.start_ns}, {"end_ns", t.end_ns}, {"status", to_string(t.status)}});
  }
  nlohmann::json slots = nlohmann::json::object();
  for (size_t i = 0; i < cl.slots.size(); ++i) {
    const auto& slot = cl.slots[i];
    nlohmann::json out = {{"time_of_validity_ns", slot.time_of_validity_ns}};
    const auto decoder = slot_decoder(i);
    auto decoded = decoder ? decoder->decode(slot.bytes) : Result<nlohmann::json>(decoder.status());
    if (decoded)
      out["message"] = std::move(decoded.value());
    else
      out.update({{"error", std::string(decoded.error_message())}, {"size", slot.bytes.size()}});
    slots[i < impl_->slot_keys.size() ? impl_->slot_keys[i] : fmt::format("slot{}", i)] = std::move(out);
  }
  return {{"id", cl.id}, {"time_ns", cl.time_ns}, {"tasks", std::move(tasks)}, {"slots", std::move(slots)}};
}

std::span<const uint8_t> ReaderAccess::bytes(const LogReader& reader) { return reader.impl_->bytes; }
detail::Framing ReaderAccess::framing(const LogReader& reader) { return reader.impl_->framing; }
uint64_t ReaderAccess::written_end(const LogReader& reader) { return reader.impl_->written_end; }

// As for_each_record: a version 1 log's walk stops where ids went back.
uint64_t ReaderAccess::walk_end(LogReader& reader) {
  if (reader.header().version < 2) reader.check();
  return reader.impl_->stale_from.value_or(UINT64_MAX);
}

}  // namespace copper::log
