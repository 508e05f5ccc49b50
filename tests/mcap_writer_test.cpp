// The MCAP writer's byte layout (libcopper/src/mcap/), read back here with
// a small parser written from the spec: record framing, the chunk and its
// CRC, message indexes pointing at their messages, the summary, its
// offsets and CRC, the data section CRC, the attachment CRC.
// tests/mcap_export_test.cpp checks whole files with the official readers.
#include <doctest/doctest.h>
#include <zstd.h>

#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "copper/version.hpp"
#include "mcap/mcap_writer.hpp"

namespace {

using copper::mcap::Opcode;

// Reads little-endian fields from a byte string, checking bounds.
struct Cursor {
  std::string_view bytes;
  size_t at = 0;

  uint64_t le(size_t n) {
    REQUIRE(at + n <= bytes.size());
    uint64_t value = 0;
    for (size_t i = 0; i < n; ++i) value |= uint64_t{static_cast<uint8_t>(bytes[at + i])} << (8 * i);
    at += n;
    return value;
  }
  uint16_t u16() { return static_cast<uint16_t>(le(2)); }
  uint32_t u32() { return static_cast<uint32_t>(le(4)); }
  uint64_t u64() { return le(8); }
  std::string_view take(size_t n) {
    REQUIRE(at + n <= bytes.size());
    const std::string_view out = bytes.substr(at, n);
    at += n;
    return out;
  }
  std::string string() { return std::string(take(u32())); }
};

struct Record {
  Opcode opcode{};
  uint64_t offset = 0;  // of the opcode
  std::string_view content;
  uint64_t end() const { return offset + 9 + content.size(); }
};

// The records between the leading magic and the trailing one.
std::vector<Record> records_of(std::string_view file) {
  REQUIRE(file.size() >= 16);
  CHECK(file.substr(0, 8) == copper::mcap::kMagic);
  CHECK(file.substr(file.size() - 8) == copper::mcap::kMagic);
  std::vector<Record> out;
  Cursor c{file.substr(0, file.size() - 8), 8};
  while (c.at < c.bytes.size()) {
    Record r;
    r.offset = c.at;
    r.opcode = static_cast<Opcode>(c.le(1));
    r.content = c.take(c.u64());
    out.push_back(r);
  }
  return out;
}

std::vector<Record> records_in(std::string_view chunk_records) {
  std::vector<Record> out;
  Cursor c{chunk_records, 0};
  while (c.at < c.bytes.size()) {
    Record r;
    r.offset = c.at;
    r.opcode = static_cast<Opcode>(c.le(1));
    r.content = c.take(c.u64());
    out.push_back(r);
  }
  return out;
}

std::vector<Record> with_opcode(const std::vector<Record>& records, Opcode opcode) {
  std::vector<Record> out;
  for (const Record& r : records)
    if (r.opcode == opcode) out.push_back(r);
  return out;
}

std::string write_file(copper::mcap::WriterOptions options, const std::function<void(copper::mcap::Writer&)>& fill) {
  std::ostringstream out;
  copper::mcap::Writer writer(out, std::move(options));
  fill(writer);
  REQUIRE(writer.finish().ok());
  CHECK(writer.bytes_written() == out.str().size());
  return out.str();
}

struct ChunkFields {
  uint64_t start_time = 0, end_time = 0, uncompressed_size = 0;
  uint32_t crc = 0;
  std::string compression;
  std::string_view records;
};

ChunkFields chunk_fields(const Record& chunk) {
  Cursor c{chunk.content};
  ChunkFields f;
  f.start_time = c.u64();
  f.end_time = c.u64();
  f.uncompressed_size = c.u64();
  f.crc = c.u32();
  f.compression = c.string();
  f.records = c.take(c.u64());
  CHECK(c.at == c.bytes.size());
  return f;
}

copper::mcap::WriterOptions uncompressed() {
  copper::mcap::WriterOptions options;
  options.compression = copper::mcap::ChunkCompression::none;
  return options;
}

}  // namespace

TEST_CASE("mcap.writer.an_empty_file_is_header_data_end_summary_footer") {
  const std::string file = write_file(uncompressed(), [](copper::mcap::Writer&) {});
  const auto records = records_of(file);
  REQUIRE(records.size() >= 3);
  CHECK(records.front().opcode == Opcode::header);
  Cursor header{records.front().content};
  CHECK(header.string().empty());  // no well-known profile
  CHECK(header.string() == std::string("copper ") + copper::kVersion);
  CHECK(records[1].opcode == Opcode::data_end);
  Cursor data_end{records[1].content};
  CHECK(data_end.u32() == copper::mcap::crc32(0, std::string_view(file).substr(0, records[1].offset)));
  CHECK(records.back().opcode == Opcode::footer);
  Cursor footer{records.back().content};
  const uint64_t summary_start = footer.u64();
  const uint64_t summary_offset_start = footer.u64();
  const uint32_t summary_crc = footer.u32();
  CHECK(summary_start == records[1].end());
  CHECK(summary_offset_start > summary_start);
  // The CRC runs from the summary through the Footer's offsets.
  const std::string_view covered =
      std::string_view(file).substr(summary_start, records.back().offset + 9 + 16 - summary_start);
  CHECK(summary_crc == copper::mcap::crc32(0, covered));
  // An empty file still states its statistics: zero of everything.
  const auto statistics = with_opcode(records, Opcode::statistics);
  REQUIRE(statistics.size() == 1);
  Cursor s{statistics[0].content};
  CHECK(s.u64() == 0);
}

TEST_CASE("mcap.writer.a_chunk_holds_the_messages_and_each_message_index_points_at_them") {
  const std::string file = write_file(uncompressed(), [](copper::mcap::Writer& w) {
    const uint16_t schema = *w.add_schema("demo.Number", "jsonschema", R"({"type":"object"})");
    CHECK(*w.add_schema("demo.Number", "jsonschema", R"({"type":"object"})") == schema);  // shared
    const uint16_t a = *w.add_channel(schema, "/a", "json", {{"k", "v"}});
    const uint16_t b = *w.add_channel(schema, "/b", "json");
    w.add_message(a, 100, 90, R"({"value":1})");
    w.add_message(b, 100, 95, R"({"value":2})");
    w.add_message(a, 200, 190, R"({"value":3})");
  });
  const auto records = records_of(file);
  CHECK(with_opcode(records, Opcode::schema).size() == 2);   // data section + summary
  CHECK(with_opcode(records, Opcode::channel).size() == 4);  // data section + summary
  const auto chunks = with_opcode(records, Opcode::chunk);
  REQUIRE(chunks.size() == 1);
  const ChunkFields chunk = chunk_fields(chunks[0]);
  CHECK(chunk.start_time == 100);
  CHECK(chunk.end_time == 200);
  CHECK(chunk.compression.empty());
  CHECK(chunk.uncompressed_size == chunk.records.size());
  CHECK(chunk.crc == copper::mcap::crc32(0, chunk.records));
  const auto messages = records_in(chunk.records);
  REQUIRE(messages.size() == 3);
  Cursor third{messages[2].content};
  CHECK(third.u16() == 1);  // channel /a
  CHECK(third.u32() == 1);  // its second message
  CHECK(third.u64() == 200);
  CHECK(third.u64() == 190);
  CHECK(third.take(third.bytes.size() - third.at) == R"({"value":3})");
  // One Message Index per channel, right after the chunk, in channel order.
  const auto indexes = with_opcode(records, Opcode::message_index);
  REQUIRE(indexes.size() == 2);
  CHECK(indexes[0].offset == chunks[0].end());
  std::map<uint16_t, std::vector<std::pair<uint64_t, uint64_t>>> entries;
  for (const Record& index : indexes) {
    Cursor c{index.content};
    const uint16_t channel = c.u16();
    const uint32_t length = c.u32();
    CHECK(length == c.bytes.size() - c.at);
    while (c.at < c.bytes.size()) {
      const uint64_t log_time = c.u64();
      entries[channel].emplace_back(log_time, c.u64());
    }
  }
  REQUIRE(entries[1].size() == 2);
  CHECK(entries[1][1] == std::make_pair(uint64_t{200}, messages[2].offset));
  CHECK(entries[2] == std::vector<std::pair<uint64_t, uint64_t>>{{100, messages[1].offset}});
  // The data section CRC covers the uncompressed chunk too (combined, not
  // recomputed, by the writer).
  const Record data_end = with_opcode(records, Opcode::data_end).at(0);
  Cursor de{data_end.content};
  CHECK(de.u32() == copper::mcap::crc32(0, std::string_view(file).substr(0, data_end.offset)));
  // The Chunk Index locates both.
  const auto chunk_indexes = with_opcode(records, Opcode::chunk_index);
  REQUIRE(chunk_indexes.size() == 1);
  Cursor ci{chunk_indexes[0].content};
  CHECK(ci.u64() == 100);
  CHECK(ci.u64() == 200);
  CHECK(ci.u64() == chunks[0].offset);
  CHECK(ci.u64() == chunks[0].end() - chunks[0].offset);
  CHECK(ci.u32() == 2 * 10);  // two (u16, u64) entries
  CHECK(ci.u16() == 1);
  CHECK(ci.u64() == indexes[0].offset);
  CHECK(ci.u16() == 2);
  CHECK(ci.u64() == indexes[1].offset);
  CHECK(ci.u64() == indexes[1].end() - indexes[0].offset);
}

TEST_CASE("mcap.writer.the_summary_offsets_name_each_group_and_the_statistics_count_all") {
  const std::string file = write_file(uncompressed(), [](copper::mcap::Writer& w) {
    const uint16_t schema = *w.add_schema("s", "jsonschema", "{}");
    const uint16_t a = *w.add_channel(schema, "/a", "json");
    w.add_metadata("copper.run", {{"run_id", "abc"}});
    w.add_message(a, 5, 5, "{}");
    w.add_attachment({7, 0, "keyframe/0/t", "application/octet-stream", "state"});
    w.add_message(a, 9, 9, "{}");
  });
  const auto records = records_of(file);
  const auto offsets = with_opcode(records, Opcode::summary_offset);
  std::vector<Opcode> groups;
  for (const Record& r : offsets) {
    Cursor c{r.content};
    const auto opcode = static_cast<Opcode>(c.le(1));
    const uint64_t start = c.u64();
    const uint64_t length = c.u64();
    groups.push_back(opcode);
    // The group's records are exactly the records of that opcode there.
    uint64_t covered = 0;
    for (const Record& g : records)
      if (g.offset >= start && g.end() <= start + length) {
        CHECK(g.opcode == opcode);
        covered += g.end() - g.offset;
      }
    CHECK(covered == length);
  }
  CHECK(groups == std::vector<Opcode>{Opcode::schema, Opcode::channel, Opcode::statistics, Opcode::chunk_index,
                                      Opcode::metadata_index, Opcode::attachment_index});
  Cursor s{with_opcode(records, Opcode::statistics).at(0).content};
  CHECK(s.u64() == 2);  // messages
  CHECK(s.u16() == 1);  // schemas
  CHECK(s.u32() == 1);  // channels
  CHECK(s.u32() == 1);  // attachments
  CHECK(s.u32() == 1);  // metadata
  CHECK(s.u32() == 2);  // chunks: the attachment closed the first
  CHECK(s.u64() == 5);
  CHECK(s.u64() == 9);
  // The indexes point at their records.
  Cursor mi{with_opcode(records, Opcode::metadata_index).at(0).content};
  const uint64_t metadata_at = mi.u64();
  CHECK(with_opcode(records, Opcode::metadata).at(0).offset == metadata_at);
  Cursor ai{with_opcode(records, Opcode::attachment_index).at(0).content};
  const Record attachment = with_opcode(records, Opcode::attachment).at(0);
  CHECK(ai.u64() == attachment.offset);
  CHECK(ai.u64() == attachment.end() - attachment.offset);
}

TEST_CASE("mcap.writer.an_attachment_carries_the_crc_of_its_fields") {
  const std::string file = write_file(uncompressed(), [](copper::mcap::Writer& w) {
    w.add_attachment({42, 0, "keyframe/10/lidar", "application/octet-stream", std::string_view("\0\1\2", 3)});
  });
  const Record attachment = with_opcode(records_of(file), Opcode::attachment).at(0);
  Cursor c{attachment.content};
  CHECK(c.u64() == 42);
  CHECK(c.u64() == 0);
  CHECK(c.string() == "keyframe/10/lidar");
  CHECK(c.string() == "application/octet-stream");
  CHECK(c.take(c.u64()) == std::string_view("\0\1\2", 3));
  const size_t fields = c.at;
  CHECK(c.u32() == copper::mcap::crc32(0, attachment.content.substr(0, fields)));
  CHECK(c.at == c.bytes.size());
}

TEST_CASE("mcap.writer.chunks_close_at_the_chunk_size_and_zstd_chunks_decompress_to_their_records") {
  copper::mcap::WriterOptions options;
  options.chunk_size = 1000;
  const std::string body(300, 'x');
  const std::string file = write_file(options, [&](copper::mcap::Writer& w) {
    const uint16_t channel = *w.add_channel(*w.add_schema("s", "jsonschema", "{}"), "/a", "json");
    for (uint64_t t = 0; t < 10; ++t) w.add_message(channel, t, t, body);
  });
  const auto chunks = with_opcode(records_of(file), Opcode::chunk);
  CHECK(chunks.size() == 3);  // 331-byte messages: a chunk closes at its 4th (1324 >= 1000): 4 + 4 + 2
  uint64_t messages = 0;
  for (const Record& record : chunks) {
    const ChunkFields chunk = chunk_fields(record);
    CHECK(chunk.compression == "zstd");
    std::string records(chunk.uncompressed_size, '\0');
    const size_t n = ZSTD_decompress(records.data(), records.size(), chunk.records.data(), chunk.records.size());
    REQUIRE_FALSE(ZSTD_isError(n));
    CHECK(n == chunk.uncompressed_size);
    CHECK(chunk.crc == copper::mcap::crc32(0, records));
    messages += records_in(records).size();
  }
  CHECK(messages == 10);
}

TEST_CASE("mcap.writer.a_writer_dropped_unfinished_stops_its_thread_and_writes_no_summary") {
  std::ostringstream out;
  {
    copper::mcap::WriterOptions options;
    options.chunk_size = 64;
    copper::mcap::Writer writer(out, options);
    const uint16_t channel = *writer.add_channel(*writer.add_schema("s", "jsonschema", "{}"), "/a", "json");
    for (uint64_t t = 0; t < 100; ++t) writer.add_message(channel, t, t, std::string(100, 'y'));
  }  // an error path: no finish()
  // Whatever reached the stream is no MCAP file (no trailing magic): the
  // caller's OutputFile never renames it into place.
  const std::string file = out.str();
  CHECK(file.find(std::string(copper::mcap::kMagic), 8) == std::string::npos);
}
