#include "copper/text_log.hpp"

#include <array>
#include <atomic>
#include <bit>
#include <cassert>
#include <map>
#include <mutex>
#include <stdexcept>
#include <tuple>

#include "log/layout.hpp"

namespace copper {
namespace {

// Entries live in chunks that are allocated once and never move, so a
// reader can hold a TextString& (and its views) forever and can index the
// table while another thread appends. Chunk k holds kFirstChunk << k
// entries: the table grows without a bound chosen up front and without
// copying, and 26 chunks reach just under 2^32 ids (the id is a u32).
constexpr size_t kFirstChunk = 64;
constexpr size_t kChunkCount = 26;

struct Slot {
  TextString view;
  std::string file;
  std::string format;
};

struct Location {
  size_t chunk;
  size_t offset;
};

Location locate(size_t id) {
  const size_t k = size_t(std::bit_width(id / kFirstChunk + 1)) - 1;
  return {k, id - kFirstChunk * ((size_t{1} << k) - 1)};
}

class StringTable {
 public:
  uint32_t add(log::TextLevel level, std::string_view file, uint32_t line, std::string_view format) {
    // The string record stores the file length in a u16: keep its end.
    if (file.size() > log::StringHeader::kMaxFileLength)
      file = file.substr(file.size() - log::StringHeader::kMaxFileLength);
    Key key{uint8_t(level), std::string(file), line, std::string(format)};

    std::lock_guard lock(mutex_);
    if (auto it = ids_.find(key); it != ids_.end()) return it->second;

    const size_t id = count_.load(std::memory_order_relaxed);
    const Location at = locate(id);
    if (at.chunk >= kChunkCount) throw std::length_error("text log string table is full");
    if (chunks_[at.chunk] == nullptr) chunks_[at.chunk] = new Slot[kFirstChunk << at.chunk];

    Slot& slot = chunks_[at.chunk][at.offset];
    slot.file = std::get<1>(key);
    slot.format = std::get<3>(key);
    slot.view = TextString{uint32_t(id), level, line, slot.file, slot.format};
    ids_.emplace(std::move(key), uint32_t(id));
    // Publishes the slot (and its chunk pointer) to lock-free readers.
    count_.store(id + 1, std::memory_order_release);
    return uint32_t(id);
  }

  size_t count() const { return count_.load(std::memory_order_acquire); }

  // No lock: the caller's acquire load of count() ordered the slot's
  // writes (and the chunk pointer's) before this read, and neither changes
  // after publication.
  const TextString& get(size_t id) const {
    assert(id < count_.load(std::memory_order_acquire));
    const Location at = locate(id);
    return chunks_[at.chunk][at.offset].view;
  }

 private:
  using Key = std::tuple<uint8_t, std::string, uint32_t, std::string>;

  std::mutex mutex_;
  std::map<Key, uint32_t> ids_;
  std::array<Slot*, kChunkCount> chunks_{};
  std::atomic<size_t> count_{0};
};

// Never destroyed: a task may still log from a static destructor or a
// detached thread at exit, and the views handed out must outlive them.
StringTable& table() {
  static StringTable* const instance = new StringTable;
  return *instance;
}

}  // namespace

uint32_t register_text_string(log::TextLevel level, std::string_view file, uint32_t line,
                              std::string_view format) {
  return table().add(level, file, line, format);
}

size_t text_string_count() { return table().count(); }

const TextString& text_string(size_t id) { return table().get(id); }

namespace {

size_t wire_size(const detail::TextArg& arg) {
  const size_t value = log::text_arg_value_size(static_cast<uint8_t>(arg.tag));
  return 1 + value + (arg.tag == log::ArgTag::string ? arg.string.size : 0);
}

uint8_t* put_arg(uint8_t* p, const detail::TextArg& arg) {
  using log::ArgTag;
  *p++ = static_cast<uint8_t>(arg.tag);
  switch (arg.tag) {
    case ArgTag::boolean: *p = arg.boolean ? 1 : 0; return p + 1;
    case ArgTag::character: std::memcpy(p, &arg.character, 1); return p + 1;
    case ArgTag::i64: log::store_le<int64_t>(p, arg.i64); return p + 8;
    case ArgTag::u64: log::store_le<uint64_t>(p, arg.u64); return p + 8;
    case ArgTag::f64: log::store_le<double>(p, arg.f64); return p + 8;
    case ArgTag::f32: log::store_le<float>(p, arg.f32); return p + 4;
    case ArgTag::string:
      log::store_le<uint32_t>(p, static_cast<uint32_t>(arg.string.size));
      return log::put_bytes(p + 4, std::string_view(arg.string.data, arg.string.size));
  }
  return p;
}

}  // namespace

void detail::append_text_entry(TextLogBuffer& buffer, const Context& ctx, uint32_t string_id, log::TextLevel level,
                               const TextArg* args, size_t arg_count) {
  size_t args_length = 0;
  for (size_t i = 0; i < arg_count; ++i) args_length += wire_size(args[i]);
  if (args_length > log::TextEntryHeader::kMaxArgsLength) {
    buffer.count_drop();
    return;
  }
  uint8_t* p = buffer.reserve(log::TextEntryHeader::kSize + args_length);
  if (p == nullptr) return;
  log::TextEntryHeader{ctx.cl_id(),
                       ctx.task_index(),
                       string_id,
                       static_cast<uint8_t>(level),
                       static_cast<uint8_t>(arg_count),
                       static_cast<uint16_t>(args_length)}
      .encode(p);
  p += log::TextEntryHeader::kSize;
  for (size_t i = 0; i < arg_count; ++i) p = put_arg(p, args[i]);
}

}  // namespace copper
