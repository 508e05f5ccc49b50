#include "copper/text_log.hpp"

#include <array>
#include <atomic>
#include <bit>
#include <cassert>
#include <map>
#include <mutex>
#include <stdexcept>
#include <tuple>

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
    // The string record stores the file length in a u16.
    if (file.size() > 0xFFFF) file = file.substr(file.size() - 0xFFFF);
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

}  // namespace copper
