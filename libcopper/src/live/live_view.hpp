// What copper-record --serve adds to a run: the feed, a commit sink beside
// the log writer, and the server streaming it (live/server.hpp). Started
// before the graph, so an address that cannot be used stops the recorder
// before any task runs; finished after the run.
#pragma once

#include <memory>
#include <string>

#include "copper/graph.hpp"
#include "copper/status.hpp"
#include "live/feed.hpp"
#include "live/server.hpp"

namespace copper::live {

class LiveView {
 public:
  static Result<std::unique_ptr<LiveView>> start(const ServeOptions& options, const Graph& graph,
                                                 FeedOptions feed = {});

  CommitSink* sink() { return &feed_; }
  std::string url() const { return server_->url(); }
  // Stops the server (closing every client) and returns its figures.
  LiveStats finish();

 private:
  LiveView(const Graph& graph, FeedOptions feed) : feed_(graph, feed) {}
  LiveFeed feed_;
  std::unique_ptr<LiveServer> server_;
};

}  // namespace copper::live
