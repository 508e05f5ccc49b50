#include "live/live_view.hpp"

#include "log/writer_core.hpp"

namespace copper::live {

Result<std::unique_ptr<LiveView>> LiveView::start(const ServeOptions& options, const Graph& graph, FeedOptions feed) {
  std::unique_ptr<LiveView> view(new LiveView(graph, feed));
  auto metadata = log::detail::log_metadata(graph);
  if (!metadata.ok()) return metadata.status();
  auto server = LiveServer::start(options, view->feed_, *metadata);
  if (!server.ok()) return server.status();
  view->server_ = std::move(server.value());
  return view;
}

LiveStats LiveView::finish() {
  server_->stop();
  return server_->stats();
}

}  // namespace copper::live
