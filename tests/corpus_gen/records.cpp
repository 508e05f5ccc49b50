#include "records.hpp"

#include "log/layout.hpp"

#include <zstd.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include <fmt/format.h>

namespace corpus {

void require(bool ok, const std::string& what) {
  if (!ok) throw std::runtime_error(what);
}

Bytes read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  require(static_cast<bool>(in), "cannot read " + path.string());
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

namespace {

bool all_zero(std::span<const uint8_t> bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](uint8_t b) { return b == 0; });
}

uint64_t file_seed(std::span<const uint8_t> file) {
  std::array<uint8_t, 16> run_id{};
  std::copy_n(file.data() + lg::header::kRunId, run_id.size(), run_id.begin());
  return lg::record_seed(lg::load_le<uint32_t>(file.data() + lg::header::kVersion), run_id);
}

Rec verified_record(std::span<const uint8_t> file, uint64_t pos, uint64_t slab_left) {
  const uint8_t* h = file.data() + pos;
  const uint64_t length = lg::load_le<uint32_t>(h + 8);
  require(lg::record_footprint(length) <= slab_left && pos + lg::kRecordHeaderSize + length <= file.size(),
          fmt::format("record at offset {} does not fit", pos));
  const std::span<const uint8_t> stored(h + lg::kRecordHeaderSize, length);
  require(lg::record_checksum(file_seed(file), h, stored) == lg::load_le<uint64_t>(h + 16),
          fmt::format("record at offset {} does not verify", pos));
  Rec rec;
  rec.type = lg::load_le<uint16_t>(h + 4);
  rec.flags = lg::load_le<uint16_t>(h + 6);
  rec.payload = (rec.flags & lg::kRecordFlagZstd) ? zstd_decompress(stored) : Bytes(stored.begin(), stored.end());
  rec.offset = pos;
  rec.end = pos + lg::record_footprint(length);
  rec.stored_length = length;
  return rec;
}

}  // namespace

std::vector<Rec> parse_records(std::span<const uint8_t> file) {
  std::vector<Rec> records;
  uint64_t pos = lg::kFileHeaderSize;
  while (pos < file.size()) {
    const uint64_t left = kSlab - pos % kSlab;
    if (left < lg::kRecordHeaderSize) {
      pos += left;
      continue;
    }
    if (file.size() - pos < lg::kRecordHeaderSize || lg::load_le<uint32_t>(file.data() + pos) != lg::kRecordSync) {
      require(all_zero(file.subspan(pos)), fmt::format("no record at offset {}", pos));
      break;
    }
    Rec rec = verified_record(file, pos, left);
    pos = rec.end;
    if (!is(rec, lg::RecordType::padding)) records.push_back(std::move(rec));
  }
  return records;
}

bool is(const Rec& rec, lg::RecordType type) { return rec.type == static_cast<uint16_t>(type); }

std::pair<uint64_t, uint64_t> cl_range(const Rec& rec) {
  require(rec.payload.size() >= 12, "short copperlists payload");
  const uint64_t first = lg::load_le<uint64_t>(rec.payload.data());
  const uint32_t count = lg::load_le<uint32_t>(rec.payload.data() + 8);
  require(count > 0, "empty copperlists record");
  return {first, first + count - 1};
}

Bytes zstd_decompress(std::span<const uint8_t> stored) {
  const unsigned long long size = ZSTD_getFrameContentSize(stored.data(), stored.size());
  require(size != ZSTD_CONTENTSIZE_ERROR && size != ZSTD_CONTENTSIZE_UNKNOWN, "bad zstd frame");
  Bytes out(static_cast<size_t>(size));
  const size_t got = ZSTD_decompress(out.data(), out.size(), stored.data(), stored.size());
  require(!ZSTD_isError(got) && got == out.size(), "zstd frame does not decompress");
  return out;
}

Bytes zstd_compress(std::span<const uint8_t> raw, int level) {
  Bytes out(ZSTD_compressBound(raw.size()));
  const size_t size = ZSTD_compress(out.data(), out.size(), raw.data(), raw.size(), level);
  require(!ZSTD_isError(size), "zstd compression failed");
  out.resize(size);
  return out;
}

}  // namespace corpus
