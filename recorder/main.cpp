// copper-record: the tool's logic is copper::record_main, in libcopper, so that a robot's
// own static binary can be the same tool with its tasks linked in.
#include "copper/tools.hpp"

int main(int argc, char** argv) { return copper::record_main(argc, argv); }
