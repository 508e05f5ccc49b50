#include "log_checksums.hpp"

#include "log/layout.hpp"

namespace copper_fuzz {

namespace {

using namespace copper::log;

// The one place the fuzz targets compute a record checksum: seeded with
// the record seed of the file's header (version and run id). `image` is
// the whole file, at least its header.
uint64_t record_checksum_in(std::span<const uint8_t> image, const uint8_t* record_header,
                            std::span<const uint8_t> payload) {
  const std::span<const uint8_t, 16> run_id(image.data() + header::kRunId, 16);
  const uint64_t seed = record_seed(load_le<uint32_t>(image.data() + header::kVersion), run_id);
  return record_checksum(seed, record_header, payload);
}

}  // namespace

void refix_checksums(std::span<uint8_t> image) {
  if (image.size() < kFileHeaderSize) return;
  store_le<uint64_t>(image.data() + header::kChecksum, header_checksum(image.data()));
  if (image.size() < kFileHeaderSize + kRecordHeaderSize) return;
  const uint64_t last = (image.size() - kRecordHeaderSize) & ~uint64_t{7};
  for (uint64_t offset = last; offset >= kFileHeaderSize; offset -= 8) {
    uint8_t* record = image.data() + offset;
    const RecordHeader head = RecordHeader::decode(record);
    if (head.sync != kRecordSync || head.length > image.size() - offset - kRecordHeaderSize) continue;
    const std::span<const uint8_t> payload(record + kRecordHeaderSize, head.length);
    RecordHeader::put_checksum(record, record_checksum_in(image, record, payload));
  }
}

}  // namespace copper_fuzz
