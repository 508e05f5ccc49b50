// The shared corpus of example logs (tests/corpus/README.md): three logs
// recorded through the real writer and normalized (normalize.hpp), and
// damaged variants cut, flipped or patched from the clean one. Used by the
// generator (main.cpp) and by tests/log_corpus_test.cpp, which checks that
// the checked-in files are what this code makes today.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "records.hpp"

namespace corpus {

struct CorpusFile {
  std::string name;
  Bytes bytes;
  std::string note;  // what was done, as README.md and expected.json describe it
};

// Needs the fixture task types (fixtures/test_tasks.cpp) linked in. The
// writer works in `scratch`, a file path removed afterwards. Throws
// std::runtime_error when anything goes wrong.
std::vector<CorpusFile> make_corpus(const std::filesystem::path& scratch);

}  // namespace corpus
