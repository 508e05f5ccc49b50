#include "record_appender.hpp"

#include <fmt/format.h>

#include "copper/log/policy.hpp"

namespace copper::log::detail {

Status RecordAppender::too_large(uint64_t length) const {
  return Status::invalid_argument(
      fmt::format("a record of {} bytes does not fit in a slab of {} bytes; use a larger slab size "
                  "(logging.slab_size in the config, --slab-size on copper-record: {})",
                  length, slab_size_, kSlabSizeRule));
}

Status RecordAppender::repeat_at_slab_starts(uint64_t offset) {
  // Copied first: moving to the next slab may unmap this one.
  const uint8_t* record = base_ + (offset - slab_ * slab_size_);
  preamble_header_ = RecordHeader::decode(record);
  std::vector<uint8_t> copy(record, record + (pos_ - offset));
  auto at = begin(preamble_header_.length);
  if (!at.ok()) return at.status();
  std::memcpy(*at - kRecordHeaderSize, copy.data(), copy.size());  // the same bytes: the checksum holds
  pos_ += copy.size();
  count(preamble_header_);
  end_.store(pos_, std::memory_order_release);
  if (copy.size() <= slab_size_ / 4) preamble_ = std::move(copy);
  return {};
}

void RecordAppender::write_preamble() {
  if (preamble_.empty()) return;
  std::memcpy(base_, preamble_.data(), preamble_.size());
  pos_ += preamble_.size();
  count(preamble_header_);
}

void RecordAppender::count(const RecordHeader& header) {
  const size_t slot = header.type < kRecordTypes ? header.type : 0;
  ++counts_[slot];
  bytes_[slot] += header.length;
}

// The tail of a slab too short for the next record: a padding record, or
// zeros (already there: slabs are fresh) when not even a header fits.
void RecordAppender::pad_slab() {
  const uint64_t left = (slab_ + 1) * slab_size_ - pos_;
  if (left >= kRecordHeaderSize) {
    const auto length = static_cast<uint32_t>(left - kRecordHeaderSize);
    std::memset(base_ + (pos_ - slab_ * slab_size_) + kRecordHeaderSize, 0, length);
    finish(RecordType::padding, 0, length);
  }
  pos_ = (slab_ + 1) * slab_size_;
}

// Moves to the spare slab the slab thread prepared; waits for it only if
// it is not ready yet.
Status RecordAppender::next_slab() {
  if (Status failed = hooks_.background_failure(); !failed.ok()) return failed;
  const uint64_t next = slab_ + 1;
  bool waited = false;
  for (;;) {
    const uint32_t seen = slabs_.events();
    if (slabs_.ready(next)) break;
    if (Status failed = hooks_.background_failure(); !failed.ok()) return failed;
    if (std::optional<Status> failed = slabs_.failure()) return hooks_.keep(std::move(*failed));
    if (!waited) slabs_.wake();  // in case its ring was full of slabs close has since synced
    waited = true;
    slabs_.wait_for_event(seen);
  }
  slab_waits_ += waited ? 1 : 0;
  pad_slab();
  slab_ = next;
  base_ = slabs_.mapping(next)->data();
  pos_ = next * slab_size_;
  write_preamble();
  end_.store(pos_, std::memory_order_release);
  if (hooks_.retire_on_leave()) slabs_.retire_below(pos_);
  slabs_.entered(next);
  return {};
}

}  // namespace copper::log::detail
