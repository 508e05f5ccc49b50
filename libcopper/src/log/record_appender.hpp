// The appending thread's cursor in the log: frames records (layout.hpp's
// RecordHeader, payload, zero padding, checksum) into the mapped slabs and
// publishes how far the file is written.
//
// A record is built in place: begin(length) returns where its payload
// goes, the caller writes the payload there, finish(type, flags, length)
// frames it. A record never crosses a slab: when it does not fit in what is
// left, the rest of the slab becomes a padding record (or stays zero when
// not even a header fits) and the record starts the next slab, which the
// slab ring prepared ahead (docs/log-format.md, "File layout").
//
// Every record's checksum is seeded with the file's record seed
// (layout.hpp, record_seed), set once before the first record. The
// metadata record is repeated as the first record of every slab after the
// first (repeat_at_slab_starts), so one damaged copy does not make the log
// unreadable.
//
// begin and finish run once per record on the commit path, so they are
// defined here, inline: no allocation, no lock, no system call. Only a
// slab switch waits, and only when the slab thread is behind (counted in
// slab_waits()).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <functional>
#include <vector>

#include "copper/status.hpp"
#include "layout.hpp"
#include "slab_ring.hpp"

namespace copper::log::detail {

inline constexpr size_t kRecordTypes = 13;  // record type values 0..12

class RecordAppender {
 public:
  // What the writer decides at a slab switch (never per record).
  struct Hooks {
    std::function<Status()> background_failure;  // a helper thread's failure, or ok
    std::function<Status(Status)> keep;          // records a failure as the writer's own; returns it
    std::function<bool()> retire_on_leave;       // no flusher: a slab may be unmapped once left
  };

  RecordAppender(SlabRing& slabs, uint64_t slab_size, Hooks hooks)
      : slabs_(slabs), slab_size_(slab_size), hooks_(std::move(hooks)) {}

  // Slab 0 is mapped; the file header fills its first `header_size` bytes.
  uint8_t* start(uint64_t header_size) {
    base_ = slabs_.mapping(0)->data();
    pos_ = header_size;
    end_.store(pos_, std::memory_order_release);
    return base_;
  }

  void set_record_seed(uint64_t seed) { seed_ = seed; }

  // Appends a copy of the record at `offset` (the last one appended, in
  // the current slab) now, and writes one at the start of every later slab.
  // A record too large to leave room for others in a slab is copied once.
  Status repeat_at_slab_starts(uint64_t offset);

  // Where a record with a payload of `length` bytes goes.
  Result<uint8_t*> begin(uint64_t length) {
    const uint64_t need = record_footprint(length);
    if (length > UINT32_MAX || need > slab_size_ - preamble_.size()) return too_large(length);
    if (pos_ + need > (slab_ + 1) * slab_size_) {
      Status status = next_slab();
      if (!status.ok()) return status;
    }
    return base_ + (pos_ - slab_ * slab_size_) + kRecordHeaderSize;
  }

  // Frames the record begin() placed and publishes the new end.
  void finish(RecordType type, uint16_t flags, uint32_t length) {
    uint8_t* header = base_ + (pos_ - slab_ * slab_size_);
    RecordHeader{kRecordSync, static_cast<uint16_t>(type), flags, length, 0}.encode(header);
    std::memset(header + kRecordHeaderSize + length, 0, align8(length) - length);
    RecordHeader::put_checksum(header, record_checksum(seed_, header, {header + kRecordHeaderSize, length}));
    pos_ += record_footprint(length);
    const auto slot = static_cast<size_t>(type);
    ++counts_[slot];
    bytes_[slot] += length;
    end_.store(pos_, std::memory_order_release);
  }

  // begin, copy, finish.
  Status append(RecordType type, uint16_t flags, std::span<const uint8_t> payload) {
    auto at = begin(payload.size());
    if (!at.ok()) return at.status();
    if (!payload.empty()) std::memcpy(*at, payload.data(), payload.size());
    finish(type, flags, static_cast<uint32_t>(payload.size()));
    return {};
  }

  uint64_t position() const { return pos_; }  // the next record's offset
  const std::atomic<uint64_t>& published_end() const { return end_; }
  uint64_t records(RecordType type) const { return counts_[static_cast<size_t>(type)]; }
  uint64_t payload_bytes(RecordType type) const { return bytes_[static_cast<size_t>(type)]; }
  uint64_t slab_waits() const { return slab_waits_; }

 private:
  Status too_large(uint64_t length) const;
  Status next_slab();
  void pad_slab();
  void write_preamble();
  void count(const RecordHeader& header);

  SlabRing& slabs_;
  const uint64_t slab_size_;
  const Hooks hooks_;
  uint64_t seed_ = 0;
  std::vector<uint8_t> preamble_;  // a whole record written first in every later slab
  RecordHeader preamble_header_;
  uint64_t slab_ = 0;
  uint8_t* base_ = nullptr;  // the mapping of slab_
  uint64_t pos_ = 0;         // absolute offset of the next record
  std::array<uint64_t, kRecordTypes> counts_{};
  std::array<uint64_t, kRecordTypes> bytes_{};
  uint64_t slab_waits_ = 0;
  std::atomic<uint64_t> end_{0};  // pos_, published for the flusher and committed_bytes()
};

}  // namespace copper::log::detail
