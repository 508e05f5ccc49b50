// Recording a log for the benchmarks that read one (replay, export): the
// graph given as config JSON, run serially with policy none.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace bench {

// The text of a file; exits with a message when it cannot be read.
std::string read_text_file(const std::filesystem::path& path);

// Records `cycles` copperlists of the graph into `path` (overwritten);
// exits with a message naming the step that failed.
void record_log(const std::string& config_json, const std::filesystem::path& path, uint64_t cycles);

}  // namespace bench
