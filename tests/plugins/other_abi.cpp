// A plugin that claims another copper ABI, as one built against another
// release of copper's headers would: the loader must refuse it, naming
// both numbers. Its entry point is written out by hand for that reason.
#include "copper/plugin.hpp"

extern "C" __attribute__((visibility("default"))) const copper::PluginInfo* copper_plugin_entry() {
  static const copper::PluginInfo info{999, 0, "otherabi", "0.9.0", "9.9.9"};
  return &info;
}
