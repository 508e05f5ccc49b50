// The rover task library as a plugin: its entry point. The tasks register
// themselves in their own files (COPPER_REGISTER_TASK).
#include "copper/plugin.hpp"

COPPER_PLUGIN("rover", "1.0.0");
