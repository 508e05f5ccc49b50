#include "copper/log/format.hpp"

#include "../xxhash_dispatch.hpp"
#include "layout.hpp"

namespace copper::log {

const char* to_string(RecordType type) {
  switch (type) {
    case RecordType::metadata: return "metadata";
    case RecordType::copperlists: return "copperlists";
    case RecordType::text: return "text";
    case RecordType::string: return "string";
    case RecordType::keyframe: return "keyframe";
    case RecordType::event: return "event";
    case RecordType::sync: return "sync";
    case RecordType::summary: return "summary";
    case RecordType::index: return "index";
    case RecordType::footer: return "footer";
    case RecordType::padding: return "padding";
    case RecordType::failure: return "failure";
  }
  return "unknown";
}

const char* to_string(EventKind kind) {
  switch (kind) {
    case EventKind::start: return "start";
    case EventKind::stop: return "stop";
    case EventKind::error: return "error";
    case EventKind::signal: return "signal";
    case EventKind::report: return "report";
  }
  return "unknown";
}

const char* to_string(TextLevel level) {
  switch (level) {
    case TextLevel::trace: return "trace";
    case TextLevel::debug: return "debug";
    case TextLevel::info: return "info";
    case TextLevel::warn: return "warn";
    case TextLevel::error: return "error";
  }
  return "unknown";
}


// Two one-shot hashes instead of one streaming hash: the checksum field
// sits between the header and the payload, and one-shot XXH3 is much
// faster than the streaming API on the small records of the hot path.
uint64_t record_checksum(uint64_t seed, const uint8_t* header16, std::span<const uint8_t> payload) {
  return detail::xxh3(payload.data(), payload.size(), detail::xxh3(header16, RecordHeader::kChecked, seed));
}

uint64_t record_seed(uint32_t format_version, std::span<const uint8_t, 16> run_id) {
  return format_version < 2 ? 0 : detail::xxh3(run_id.data(), run_id.size());
}

uint64_t header_checksum(const uint8_t* file_header) { return detail::xxh3(file_header, header::kChecksum); }

}  // namespace copper::log
