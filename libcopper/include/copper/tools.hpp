// The command-line tools as functions, so that a robot can ship one static
// binary with its own tasks linked in and no plugin to load:
//
//   #include <copper/tools.hpp>
//   int main(int argc, char** argv) { return copper::record_main(argc, argv); }
//
// Link the task library whole (meson: link_whole; CMake:
// $<LINK_LIBRARY:WHOLE_ARCHIVE,mytasks>) so its COPPER_REGISTER_TASK lines
// survive the link. copper's own copper-record, copper-replay and copper-log
// are exactly these mains. Each takes the arguments the tool documents
// (recorder/, replay/README.md, tools/README.md) and returns its exit code.
#pragma once

#include "copper/export.hpp"

namespace copper {

COPPER_API int record_main(int argc, char** argv);
COPPER_API int replay_main(int argc, char** argv);
COPPER_API int log_main(int argc, char** argv);

}  // namespace copper
