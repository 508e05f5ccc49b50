// copper_corpus_gen DIR: writes the shared corpus of example logs
// (tests/corpus/README.md) into DIR. Not a test: run it after a change to
// the writer or the format, then commit what it wrote (log_corpus_test
// fails until the checked-in files are what it writes).
//
//   build/tests/copper_corpus_gen tests/corpus
#include <unistd.h>

#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "corpus.hpp"

namespace {

// Bounds that keep the corpus cheap to check in and to run every tool over.
constexpr uint64_t kMaxFileBytes = 100u << 10;
constexpr uint64_t kMaxTotalBytes = 1u << 20;

void write_all(const std::filesystem::path& path, std::span<const uint8_t> bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  out.close();
  corpus::require(static_cast<bool>(out), "cannot write " + path.string());
}

void write_corpus(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  corpus::require(!ec && std::filesystem::is_directory(dir), "cannot create " + dir.string());
  const auto scratch = std::filesystem::temp_directory_path() / fmt::format("copper_corpus_gen_{}.copper", getpid());
  uint64_t total = 0;
  const auto files = corpus::make_corpus(scratch);
  for (const auto& file : files) {
    corpus::require(file.bytes.size() < kMaxFileBytes, file.name + " is not under 100 KiB");
    write_all(dir / file.name, file.bytes);
    total += file.bytes.size();
    fmt::print("{:<32} {:>6} bytes  {}\n", file.name, file.bytes.size(), file.note);
  }
  corpus::require(total < kMaxTotalBytes, "the corpus is not under 1 MiB");
  fmt::print("{} files, {} bytes, in {}\n", files.size(), total, dir.string());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: copper_corpus_gen DIR\n");
    return 2;
  }
  try {
    write_corpus(argv[1]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "copper_corpus_gen: %s\n", e.what());
    return 1;
  }
  return 0;
}
