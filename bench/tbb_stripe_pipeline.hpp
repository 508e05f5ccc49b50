// The oneTBB peer of copper's CPU pipeline, shared by the runtime and replay
// benchmarks: a serial_in_order input filter, kStages serial_in_order stage
// filters (like stateful tasks, each sees the items in order) and a
// serial_in_order sink, over a fixed pool of tokens (as copper's pool of
// copperlists). Each token carries one buffer per stage output.
#pragma once

#if COPPER_HAVE_TBB
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/parallel_pipeline.h>

#include <cstddef>
#include <vector>

#include "pipeline_tasks.hpp"

namespace bench {

// Runs items 0..count-1 through the pipeline on `threads` threads with
// tokens.size() tokens in flight: admit(token, item) fills the token for an
// item, stage(token, s) runs stage s on it, finish(token) sinks it.
template <class Token, class Admit, class Stage, class Finish>
void run_tbb_stripe_pipeline(std::vector<Token>& tokens, size_t count, int threads, Admit admit, Stage stage,
                             Finish finish) {
  namespace tbb = oneapi::tbb;
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism, static_cast<size_t>(threads));
  size_t next = 0;
  auto chain = tbb::make_filter<void, Token*>(tbb::filter_mode::serial_in_order,
                                              [&](tbb::flow_control& control) -> Token* {
                                                if (next == count) {
                                                  control.stop();
                                                  return nullptr;
                                                }
                                                Token* token = &tokens[next % tokens.size()];
                                                admit(*token, next++);
                                                return token;
                                              });
  for (int s = 0; s < kStages; ++s)
    chain = chain & tbb::make_filter<Token*, Token*>(tbb::filter_mode::serial_in_order, [&stage, s](Token* token) {
              stage(*token, s);
              return token;
            });
  const auto whole =
      chain & tbb::make_filter<Token*, void>(tbb::filter_mode::serial_in_order, [&](Token* token) { finish(*token); });
  tbb::parallel_pipeline(tokens.size(), whole);
}

}  // namespace bench
#endif
