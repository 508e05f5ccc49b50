// The caterpillar's tasks (bench_runtime.cpp): a source and a segment
// passing a small message. Compiled twice: into bench_runtime, registered as
// "bench/head" and "bench/segment", and into caterpillar_plugin.so as
// "benchplugin/...", so the same code can run linked in and from a plugin.
#pragma once

#include <array>
#include <cstdint>

#include "copper/task.hpp"

namespace caterpillar_tasks {

struct Payload {
  uint64_t seq = 0;
  std::array<uint32_t, 6> values{};
};
BOOST_DESCRIBE_STRUCT(Payload, (), (seq, values))

}  // namespace caterpillar_tasks
