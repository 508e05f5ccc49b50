// Parsing verified record payloads into the reader's views. A checksum only
// proves the bytes are the ones written, so every count and length inside a
// payload is still checked against the payload's size before use. Internal
// to the reader.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include <nlohmann/json.hpp>

#include "copper/log/reader.hpp"
#include "layout.hpp"

namespace copper::log::detail {

// A cursor that refuses to read past its end.
class Cursor {
 public:
  explicit Cursor(std::span<const uint8_t> bytes) : bytes_(bytes) {}

  template <class T>
  bool read(T& value) {
    if (remaining() < sizeof(T)) return false;
    value = load_le<T>(bytes_.data() + pos_);
    pos_ += sizeof(T);
    return true;
  }
  bool take(uint64_t n, std::span<const uint8_t>& out) {
    if (remaining() < n) return false;
    out = bytes_.subspan(pos_, n);
    pos_ += n;
    return true;
  }
  // A fixed-size part of layout.hpp, decoded in place.
  template <class Head>
  bool read_head(Head& head) {
    if (remaining() < Head::kSize) return false;
    head = Head::decode(bytes_.data() + pos_);
    pos_ += Head::kSize;
    return true;
  }
  uint64_t remaining() const { return bytes_.size() - pos_; }
  uint64_t position() const { return pos_; }

 private:
  std::span<const uint8_t> bytes_;
  uint64_t pos_ = 0;
};

// The task and slot counts every copperlist must have, from the metadata.
struct ClShape {
  uint32_t task_count = 0;
  uint32_t slot_count = 0;
};

// The copperlists of one record, with the storage their spans point into.
struct CopperListBatch {
  std::vector<CopperListView> copperlists;
  std::vector<TaskTiming> tasks;
  std::vector<SlotData> slots;
};

// Each parser returns an ok Status or what is wrong with the payload.
Status parse_copperlists(std::span<const uint8_t> payload, const std::optional<ClShape>& shape, CopperListBatch& out);
Status parse_text(std::span<const uint8_t> payload, std::vector<TextEntry>& out);
Status parse_string(std::span<const uint8_t> payload, StringEntry& out);
Status parse_keyframe(std::span<const uint8_t> payload, uint64_t& cl_id, std::vector<KeyframeState>& states);
Status parse_event(std::span<const uint8_t> payload, Event& out);
Status parse_sync(std::span<const uint8_t> payload, SyncMark& out);
Status parse_failure(std::span<const uint8_t> payload, const std::optional<ClShape>& shape, RecordedFailure& out);
Status parse_json_object(std::span<const uint8_t> payload, nlohmann::json& out);

Status parse_footer(std::span<const uint8_t> payload, Footer& out);

// The index payload, checked for size; entries are read in place.
class IndexView {
 public:
  static Result<IndexView> parse(std::span<const uint8_t> payload);
  uint64_t size() const { return entries_.size() / IndexEntry::kSize; }
  IndexEntry entry(uint64_t i) const;
  // The last entry starting at or before id, when the entries are in id
  // order. The index may be sparse (a writer thins it to fit one record),
  // so this is where to start walking, not necessarily id's own record.
  std::optional<IndexEntry> seek_point(uint64_t id) const;

 private:
  std::span<const uint8_t> entries_;
};

}  // namespace copper::log::detail
