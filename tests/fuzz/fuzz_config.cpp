// libFuzzer target: a graph config's text through parsing, validation and
// graph building (docs/fuzzing.md), as copper-record --check does before
// anything runs.
//
// The registry holds the tests' fixture task types and the rover's, linked
// in, so graphs of known types get wired, planned and their tasks built
// from fuzzed parameters. Plugins named in a config are not loaded.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "copper/config.hpp"
#include "copper/graph.hpp"
#include "copper/registry.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  copper::Diagnostics diags;
  const auto config = copper::parse_config(text, diags);
  (void)diags.to_string();
  if (!config) return 0;
  (void)config->document.dump();
  copper::Diagnostics graph_diags;
  const auto graph = copper::Graph::build(*config, copper::Registry::global(), graph_diags);
  (void)graph_diags.to_string();
  if (graph) (void)graph->order().size();
  return 0;
}
