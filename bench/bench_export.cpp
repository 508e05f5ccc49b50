// copper-log export throughput on a long rover log (recorded here, policy
// none), in CL/s and MB/s of output, for each format. The baseline in the
// same run is the read floor: walking the same copperlists through the
// reader (checksums verified, every message byte touched) without decoding
// or formatting; export's ratio to it is what decoding and formatting cost.
// Output goes to a real file in the temp directory. The MCAP rows (issue
// 15) write the same message bodies plus a timing and a log channel (and a
// well-known channel per mapped type), in 1 MiB chunks, zstd or not; the
// file size prints beside the log's.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "copper/log/reader.hpp"
#include "export.hpp"
#include "record_log.hpp"

namespace {

constexpr uint64_t kCycles = 20000;
constexpr int kRepeats = 3;

using Clock = std::chrono::steady_clock;

[[noreturn]] void die(const std::string& message) {
  fmt::print(stderr, "bench_export: {}\n", message);
  std::exit(1);
}

copper::log::LogReader open(const std::filesystem::path& path) {
  auto reader = copper::log::LogReader::open(path);
  if (!reader) die(std::string(reader.error_message()));
  return std::move(*reader);
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Best seconds of kRepeats walks that touch every message byte.
double read_floor(const std::filesystem::path& path) {
  double best = 1e30;
  for (int r = 0; r < kRepeats; ++r) {
    auto reader = open(path);
    const auto start = Clock::now();
    uint64_t count = 0, checksum = 0;
    reader.for_each_copperlist([&](const copper::log::CopperListView& cl) {
      for (const auto& slot : cl.slots)
        for (uint8_t byte : slot.bytes) checksum += byte;
      ++count;
      return true;
    });
    best = std::min(best, seconds_since(start));
    if (count != kCycles) die(fmt::format("the read walk saw {} copperlists, not {}", count, kCycles));
    if (checksum == 0) die("the read walk saw no message bytes");
  }
  return best;
}

struct ExportRun {
  double seconds = 1e30;
  uint64_t bytes = 0;
};

// One export, opening the log again and writing a file.
ExportRun one_export(const std::filesystem::path& log, const copper::logtool::ExportOptions& options) {
  const auto out_path = std::filesystem::path(log).replace_extension(".export");
  auto reader = open(log);
  const auto start = Clock::now();
  std::ofstream out(out_path, std::ios::binary | std::ios::trunc);
  std::ostringstream warnings;
  auto counts = options.format == copper::logtool::ExportFormat::mcap
                    ? copper::logtool::export_mcap(reader, options, out, warnings)
                    : copper::logtool::export_log(reader, options, out);
  out.close();
  const double seconds = seconds_since(start);
  if (!counts || !out) die("the export failed");
  if (counts->copperlists != kCycles || counts->decode_errors != 0)
    die(fmt::format("exported {} copperlists with {} decode errors", counts->copperlists, counts->decode_errors));
  if (std::filesystem::file_size(out_path) != counts->bytes) die("the export file is not the size written");
  std::filesystem::remove(out_path);
  return {seconds, counts->bytes};
}

void report(const char* name, const ExportRun& run, double floor_seconds, double json_seconds) {
  const double cls = static_cast<double>(kCycles) / run.seconds;
  const double mb_per_s = static_cast<double>(run.bytes) / 1e6 / run.seconds;
  fmt::print("  {:<22} {:>9.0f} CL/s {:>7.1f} MB/s out ({:>6.1f} MB)  {:.3f}x the read floor  {:.2f}x json\n", name,
             cls, mb_per_s, static_cast<double>(run.bytes) / 1e6, floor_seconds / run.seconds,
             json_seconds / run.seconds);
  fmt::print("RESULT bench=export.{} cl_per_s={:.0f} mb_per_s={:.1f} ratio_to_read={:.4f} ratio_to_json={:.3f}\n", name,
             cls, mb_per_s, floor_seconds / run.seconds, json_seconds / run.seconds);
}

}  // namespace

int main() {
  const auto log = std::filesystem::temp_directory_path() / "copper_bench_export.copper";
  bench::record_log(bench::read_text_file(COPPER_SOURCE_DIR "/examples/rover.json"), log, kCycles);
  const double floor_seconds = read_floor(log);
  fmt::print("rover log: {} copperlists, {:.1f} MB, best of {}\n", kCycles,
             static_cast<double>(std::filesystem::file_size(log)) / 1e6, kRepeats);
  fmt::print("  {:<22} {:>9.0f} CL/s (baseline)\n", "read floor", static_cast<double>(kCycles) / floor_seconds);

  using copper::logtool::ExportFormat;
  struct Case {
    const char* name;
    ExportFormat format;
    bool blobs;
    bool compress = true;
    copper::logtool::ExportOptions::Views views = copper::logtool::ExportOptions::Views::automatic;
  };
  using Views = copper::logtool::ExportOptions::Views;
  const std::vector<Case> cases{Case{"json", ExportFormat::json, true},
                                Case{"jsonl", ExportFormat::jsonl, true},
                                Case{"csv", ExportFormat::csv, true},
                                Case{"json_no_blobs", ExportFormat::json, false},
                                Case{"mcap_zstd", ExportFormat::mcap, true, true},
                                Case{"mcap_none", ExportFormat::mcap, true, false},
                                Case{"mcap_zstd_both", ExportFormat::mcap, true, true, Views::both},
                                Case{"mcap_zstd_views_only", ExportFormat::mcap, true, true, Views::well_known},
                                Case{"mcap_zstd_plain_only", ExportFormat::mcap, true, true, Views::plain},
                                Case{"mcap_none_views_only", ExportFormat::mcap, true, false, Views::well_known},
                                Case{"mcap_none_plain_only", ExportFormat::mcap, true, false, Views::plain}};
  // Rounds over every case, best of kRepeats per case: a slow spell of the
  // machine then hits every row alike, not one.
  std::vector<ExportRun> best(cases.size());
  for (int r = 0; r < kRepeats; ++r)
    for (size_t i = 0; i < cases.size(); ++i) {
      copper::logtool::ExportOptions options;
      options.log = log.string();
      options.format = cases[i].format;
      options.blobs = cases[i].blobs;
      options.progress = false;
      options.compress = cases[i].compress;
      options.views = cases[i].views;
      const ExportRun run = one_export(log, options);
      if (run.seconds < best[i].seconds) best[i] = run;
    }
  for (size_t i = 0; i < cases.size(); ++i) report(cases[i].name, best[i], floor_seconds, best[0].seconds);
  std::filesystem::remove(log);
  return 0;
}
