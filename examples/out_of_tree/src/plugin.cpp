// The plugin's entry point: its name and version, and the copper ABI it was
// built against. One line, in one file of the library.
#include <copper/plugin.hpp>

COPPER_PLUGIN("mybot", "1.0.0");
