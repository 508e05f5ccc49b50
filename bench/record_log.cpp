#include "record_log.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "copper/log/writer.hpp"
#include "copper/registry.hpp"
#include "copper/runtime.hpp"

namespace bench {
namespace {

[[noreturn]] void die(const std::string& message) {
  fmt::print(stderr, "bench: {}\n", message);
  std::exit(1);
}

}  // namespace

std::string read_text_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) die(fmt::format("cannot read {}", path.string()));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void record_log(const std::string& config_json, const std::filesystem::path& path, uint64_t cycles) {
  copper::Diagnostics diags;
  auto config = copper::parse_config(config_json, diags);
  auto graph = config ? copper::Graph::build(*config, copper::Registry::global(), diags) : std::nullopt;
  if (!graph) die(diags.to_string());
  copper::log::WriterOptions options;
  options.path = path;
  options.overwrite = true;
  options.fsync = copper::log::FsyncPolicy::none();
  auto writer = copper::log::LogWriter::create(options, *graph);
  if (!writer) die(std::string(writer.error_message()));
  copper::MonotonicClock clock;
  copper::StopConditions stop;
  stop.cycles = cycles;
  const auto report = copper::SerialExecutor(*graph, clock).run(stop, writer->get());
  if (!report.ok()) die(fmt::format("recording {} failed", path.string()));
  if (auto closed = (*writer)->close("done"); !closed.ok()) die(std::string(closed.message()));
}

}  // namespace bench
