// The one way the tools write an output file (copper-log recover -o,
// export -o, trace -o; copper-replay -o and --report): under a temporary
// name in the target's folder, renamed onto the target only when complete.
// A failed or interrupted write therefore never leaves half a file, and
// whatever was at the target stays untouched until the new file is whole.
//
// Only a regular file is ever replaced: a directory, FIFO, device node,
// socket or symbolic link at the target is refused, with or without
// --force (invalid_argument: the tools exit 2), and never removed.
#pragma once

#include <filesystem>

#include "copper/status.hpp"

namespace copper {

// Whether an existing regular file at the target may be replaced.
enum class Overwrite { refuse, allow };

// Checks what is at `target` now: nothing, or a regular file with
// Overwrite::allow. Errors say what is there and what to do.
Status check_output_target(const std::filesystem::path& target, Overwrite overwrite);

class OutputFile {
 public:
  // Checks the target and creates the temporary, empty, next to it (named
  // ".<name>.tmp-<random>", so a crash leaves it hidden and recognisable).
  static Result<OutputFile> create(const std::filesystem::path& target, Overwrite overwrite);

  OutputFile(OutputFile&& other) noexcept;
  OutputFile& operator=(OutputFile&& other) noexcept;
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;
  ~OutputFile();  // removes the temporary unless committed

  // Where to write: the temporary.
  const std::filesystem::path& temporary() const { return temporary_; }
  const std::filesystem::path& target() const { return target_; }

  // Makes the temporary durable, checks the target again and renames the
  // temporary onto it (keeping a replaced file's permissions). On an error
  // the temporary is removed and the target left as it was.
  Status commit();

 private:
  OutputFile(std::filesystem::path target, std::filesystem::path temporary, Overwrite overwrite)
      : target_(std::move(target)), temporary_(std::move(temporary)), overwrite_(overwrite) {}
  void discard();

  std::filesystem::path target_;
  std::filesystem::path temporary_;  // empty once committed or discarded
  Overwrite overwrite_ = Overwrite::refuse;
};

}  // namespace copper
