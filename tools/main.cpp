// copper-log: the tool's logic is copper::log_main, in libcopper, so that a robot's
// own static binary can be the same tool with its tasks linked in.
#include "copper/tools.hpp"

int main(int argc, char** argv) { return copper::log_main(argc, argv); }
