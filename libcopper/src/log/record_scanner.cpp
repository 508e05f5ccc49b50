#include "record_scanner.hpp"

#include <zstd.h>

#include <algorithm>

#include <fmt/format.h>

namespace copper::log::detail {

const char* verify_record(std::span<const uint8_t> file, uint64_t offset, const Framing& framing, RawRecord& out) {
  const uint64_t size = file.size();
  if (offset > size || size - offset < kRecordHeaderSize) return "record header cut short by the end of the file";
  const uint8_t* h = file.data() + offset;
  const RecordHeader header = RecordHeader::decode(h);
  if (header.sync != kRecordSync) return "no record here (bad sync word)";
  const uint64_t length = header.length;
  if (record_footprint(length) > framing.slab_size - offset % framing.slab_size)
    return "record length crosses a slab boundary";
  if (length > size - offset - kRecordHeaderSize) return "record cut short by the end of the file";
  const std::span<const uint8_t> stored(h + kRecordHeaderSize, length);
  // Also how a record left by another recording is told from this log's.
  if (record_checksum(framing.seed, h, stored) != header.checksum)
    return "checksum mismatch (damaged, or written by another recording)";
  out = RawRecord{header.type, header.flags, offset, record_footprint(length), stored};
  return nullptr;
}

uint64_t written_end(std::span<const uint8_t> file) {
  uint64_t end = file.size();
  while (end > 0 && file[end - 1] == 0) --end;
  return std::min<uint64_t>(align8(end), file.size());
}

RecordScanner::RecordScanner(std::span<const uint8_t> file, const Framing& framing, uint64_t written_end,
                             uint64_t start)
    : file_(file), framing_(framing), written_end_(written_end), pos_(align8(start)) {}

std::optional<RawRecord> RecordScanner::next() {
  while (pos_ < file_.size()) {
    // The writer leaves a slab's last few bytes zero when no record header fits.
    const uint64_t slab_left = framing_.slab_size - pos_ % framing_.slab_size;
    if (slab_left < kRecordHeaderSize) {
      pos_ += slab_left;
      continue;
    }
    RawRecord record;
    if (const char* why = verify_record(file_, pos_, framing_, record)) {
      skip_damage(why);
      continue;
    }
    pos_ += record.footprint;
    if (record.type != static_cast<uint16_t>(RecordType::padding)) return record;
  }
  return std::nullopt;
}

// Records the damaged range starting at pos_ and moves to the next record
// that verifies. Trailing zeros are an unwritten tail, not damage, so a
// torn last record is reported only up to where the written bytes end.
void RecordScanner::skip_damage(const char* why) {
  if (pos_ >= written_end_) {
    tail_ = file_.size() - pos_;
    pos_ = file_.size();
    return;
  }
  const uint64_t next = resync(pos_ + 8);
  uint64_t end = next;
  if (next >= file_.size()) {
    end = written_end_;
    tail_ = file_.size() - end;
  }
  damage_.push_back(Damage{pos_, end - pos_, all_zero(pos_, end) ? "zeroed range" : why});
  pos_ = next;
}

uint64_t RecordScanner::resync(uint64_t from) const {
  RawRecord record;
  for (uint64_t q = from; q < file_.size() && file_.size() - q >= kRecordHeaderSize; q += 8) {
    if (load_le<uint32_t>(file_.data() + q) != kRecordSync) continue;
    if (verify_record(file_, q, framing_, record) == nullptr) return q;
  }
  return file_.size();
}

bool RecordScanner::all_zero(uint64_t begin, uint64_t end) const {
  return std::all_of(file_.begin() + static_cast<std::ptrdiff_t>(begin),
                     file_.begin() + static_cast<std::ptrdiff_t>(end), [](uint8_t b) { return b == 0; });
}

Result<std::span<const uint8_t>> PayloadDecoder::decode(const RawRecord& record) {
  if ((record.flags & kRecordFlagZstd) == 0) return record.stored;
  const auto& stored = record.stored;
  const unsigned long long content = ZSTD_getFrameContentSize(stored.data(), stored.size());
  if (content == ZSTD_CONTENTSIZE_ERROR) return Status::error("zstd payload is not a zstd frame");
  if (content == ZSTD_CONTENTSIZE_UNKNOWN) return Status::error("zstd frame does not record its content size");
  if (content > kMaxContentSize)
    return Status::error(
        fmt::format("zstd frame claims {} bytes, more than the {} accepted", content, kMaxContentSize));
  if (ZSTD_findFrameCompressedSize(stored.data(), stored.size()) != stored.size())
    return Status::error("zstd payload is not exactly one frame");
  buffer_.resize(content);
  const size_t got = ZSTD_decompress(buffer_.data(), buffer_.size(), stored.data(), stored.size());
  if (ZSTD_isError(got)) return Status::error(fmt::format("zstd: {}", ZSTD_getErrorName(got)));
  if (got != content) return Status::error(fmt::format("zstd frame gave {} bytes, its header says {}", got, content));
  return std::span<const uint8_t>(buffer_.data(), got);
}

Damage record_damage(const RawRecord& record, std::string_view problem) {
  return Damage{record.offset, record.footprint,
                fmt::format("{} record: {}", to_string(static_cast<RecordType>(record.type)), problem)};
}

}  // namespace copper::log::detail
