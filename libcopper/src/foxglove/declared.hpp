// The views task libraries declared (copper/foxglove.hpp), for the
// recorder, which checks and records those of the graph's message types.
#pragma once

#include <nlohmann/json.hpp>

#include "copper/graph.hpp"
#include "copper/status.hpp"

namespace copper::foxglove {

// {"<message type>": <mapping>} for every slot type of the graph that has a
// declared view, each checked against the slot's schema; an empty object
// when none has. Fails (invalid_argument) on a declaration that is not a
// valid mapping or does not fit its type, or on a type declared twice,
// differently: the error names the type and, where known, the plugins.
Result<nlohmann::json> declared_views_of(const Graph& graph);

}  // namespace copper::foxglove
