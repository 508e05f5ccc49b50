// copper-log info: what a log is (run, host, graph, size, health) in a
// screenful, or as JSON (schema: tools/README.md).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "session.hpp"

namespace copper::logtool {

struct InfoOptions {
  std::string log;
  bool json = false;
};

// Reads the metadata, the summary and every record once.
nlohmann::json log_info(log::LogReader& reader);
std::string info_text(const nlohmann::json& info);

// 0, or 1 when the log cannot be opened.
int run_info(const InfoOptions& options, Io io);

}  // namespace copper::logtool
