// An MCAP file writer (mcap.dev/spec), for copper-log export --format mcap.
//
// What it writes (docs/mcap-export.md):
//   magic, Header
//   data section: Schema and Channel records (before the messages that use
//     them, outside chunks), Metadata and Attachment records where they are
//     added, and the messages in Chunks (zstd or uncompressed, each with
//     the CRC of its uncompressed records), every Chunk followed by one
//     Message Index per channel it holds; then Data End with the CRC of
//     every byte before it (magic and Header included)
//   summary: Schemas, Channels, Statistics, Chunk Indexes, Metadata
//     Indexes, Attachment Indexes, one group each, then one Summary Offset
//     per group
//   Footer with the CRC of the summary through the Footer's offsets, magic.
//
// A chunk closes when its uncompressed records reach chunk_size (one large
// message makes a chunk of its own). A closed chunk is checksummed,
// compressed and written by the writer's own thread while the caller fills
// the next one. When that thread is behind (a chunk already waits), the
// caller checksums and compresses the chunk it closes itself, then hands
// it over to be written: compression runs on two cores when it is the
// slower stage. Chunks reach the file in the order they were closed;
// memory stays about four chunks. The writer owns no file: it writes to a
// stream, in large blocks, and finish() reports whether every write
// succeeded. One caller thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>

#include "copper/status.hpp"
#include "mcap/records.hpp"

namespace copper::mcap {

enum class ChunkCompression { none, zstd };

struct WriterOptions {
  ChunkCompression compression = ChunkCompression::zstd;
  uint64_t chunk_size = uint64_t{1} << 20;  // uncompressed record bytes per chunk
  int zstd_level = 1;  // on base64-heavy JSON, level 3 is 10% smaller at a third of the speed
  std::string profile;                      // "": no well-known profile
  std::string library;                      // the Header's library; empty: "copper <version>"
};

class Writer {
 public:
  // Writes the magic and the Header to `out`, which must outlive the writer.
  Writer(std::ostream& out, WriterOptions options);
  Writer(Writer&&) noexcept;
  Writer& operator=(Writer&&) noexcept;
  ~Writer();

  // Identical schemas share one id. Errors past 65535 schemas or channels
  // (the format's 16-bit ids).
  Result<uint16_t> add_schema(std::string_view name, std::string_view encoding, std::string_view data);
  Result<uint16_t> add_channel(uint16_t schema_id, std::string_view topic, std::string_view message_encoding,
                               KeyValues metadata = {});

  // One message: append its data to the returned buffer, then call
  // end_message(). The sequence is the channel's message count so far.
  // Saves a copy of every body (the buffer is the chunk itself).
  Bytes& begin_message(uint16_t channel_id, uint64_t log_time, uint64_t publish_time);
  void end_message();
  void add_message(uint16_t channel_id, uint64_t log_time, uint64_t publish_time, std::string_view data);

  void add_metadata(std::string_view name, const KeyValues& metadata);
  void add_attachment(const Attachment& attachment);

  // Closes the last chunk, writes Data End, the summary, the Footer and the
  // magic, and flushes; an error when any write failed. Nothing may be
  // added after.
  Status finish();

  uint64_t bytes_written() const;  // the file's size so far (buffered bytes included)
  uint64_t message_count() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// "copper <version>": the Header's library field.
std::string library_name();

}  // namespace copper::mcap
