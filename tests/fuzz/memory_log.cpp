#include "memory_log.hpp"

#include <memory>

namespace copper_fuzz {

namespace {

class MemoryView final : public copper::log::FileView {
 public:
  explicit MemoryView(std::span<const uint8_t> bytes) : bytes_(bytes) {}
  std::span<const uint8_t> bytes() const override { return bytes_; }

 private:
  std::span<const uint8_t> bytes_;
};

// The reader looks at the path before it asks for a view (missing, a
// directory, empty, shorter than a header): any regular file longer than a
// header passes, and the view it then gets holds the input instead. The
// running program is such a file on every Linux, and nothing is written.
constexpr const char* kStandInPath = "/proc/self/exe";

}  // namespace

copper::Result<copper::log::LogReader> open_in_memory(std::span<const uint8_t> bytes) {
  return copper::log::LogReader::open(kStandInPath, [bytes](const std::filesystem::path&) {
    return copper::Result<std::unique_ptr<copper::log::FileView>>(std::make_unique<MemoryView>(bytes));
  });
}

}  // namespace copper_fuzz
