// libFuzzer target: a log image in memory through everything the reader
// offers and what the copper-log tools do with it (docs/fuzzing.md).
//
// The reader promises that no bytes make it crash, read outside the file or
// hand out a value from a record that does not verify (reader.hpp). This
// target opens the image, runs the verification pass, walks every record,
// copperlist (decoded through the metadata's schemas), text entry and
// keyframe, seeks through the index, and runs check, info, stats, text,
// export and trace on it, as copper-log does.
//
// The custom mutator re-signs the image after each mutation (checksums of
// the header and of every record), so the mutated bytes reach the payload
// parsers instead of stopping at the checksum.
#include <cstddef>
#include <cstdint>
#include <ostream>
#include <streambuf>

#include "check.hpp"
#include "export.hpp"
#include "info.hpp"
#include "log_checksums.hpp"
#include "memory_log.hpp"
#include "stats.hpp"
#include "text.hpp"
#include "trace.hpp"

extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t max_size);

namespace {

using copper::log::CopperListView;
using copper::log::LogReader;

// Output nobody reads: the tools' text is made (that is what is tested),
// then dropped.
class NullBuffer final : public std::streambuf {
 protected:
  int overflow(int c) override { return c; }
  std::streamsize xsputn(const char*, std::streamsize n) override { return n; }
};

std::ostream& null_stream() {
  static NullBuffer buffer;
  static std::ostream stream(&buffer);
  return stream;
}

// As the tools print JSON: bytes from a log need not be UTF-8, and the
// tools replace what is not rather than throw.
std::string text_of(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// What the library itself offers.
void walk_reader(LogReader& reader) {
  (void)text_of(reader.metadata());
  (void)text_of(reader.summary());
  const copper::log::CheckReport& report = reader.check();
  reader.for_each_record([](const copper::log::RecordView& record) { return record.payload.size() != 1; });
  reader.for_each_copperlist([&](const CopperListView& cl) {
    (void)text_of(reader.copperlist_to_json(cl));
    return true;
  });
  reader.for_each_text([](const copper::log::TextEntry& entry) { return entry.args.size() != 1; });
  reader.for_each_keyframe([](const copper::log::Keyframe& keyframe) { return !keyframe.states.empty(); });
  for (size_t slot = 0; reader.slot_decoder(slot); ++slot) {
  }
  // Seeks: through the index when it is intact.
  if (report.first_cl_id && report.last_cl_id) {
    const uint64_t middle = *report.first_cl_id + (*report.last_cl_id - *report.first_cl_id) / 2;
    reader.find_copperlist(middle, [](const CopperListView& cl) { (void)cl.slots.size(); });
    auto cursor = reader.copperlists(*report.last_cl_id);
    while (cursor.next() != nullptr) (void)cursor.last_in_mapping();
  }
}

// What copper-log's subcommands do with an open log.
void walk_tools(LogReader& reader, size_t input_size) {
  namespace tool = copper::logtool;
  const tool::Health health = tool::assess(reader);
  (void)text_of(tool::health_json(health, &reader));
  (void)tool::health_text(health, "fuzz.copper");
  (void)tool::info_text(tool::log_info(reader));
  const tool::LogStats stats = tool::gather_stats(reader, tool::ClRange{});
  (void)text_of(tool::stats_json(stats));
  (void)tool::stats_text(stats);
  for (const tool::TextLine& line : tool::text_lines(reader)) {
    (void)tool::line_text(line);
    (void)text_of(tool::line_json(line));
  }
  tool::ExportOptions options;
  options.progress = false;
  options.metadata = input_size % 2 == 0;  // one export per input: the format varies with the size
  options.format = static_cast<tool::ExportFormat>(input_size % 3);
  (void)tool::export_log(reader, options, null_stream());
  (void)tool::write_trace(reader, tool::ClRange{}, null_stream());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto reader = copper_fuzz::open_in_memory({data, size});
  if (!reader) return 0;
  walk_reader(*reader);
  walk_tools(*reader, size);
  return 0;
}

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size, unsigned int /*seed*/) {
  size = LLVMFuzzerMutate(data, size, max_size);
  copper_fuzz::refix_checksums({data, size});
  return size;
}
