// The live view: a Foxglove WebSocket server (foxglove.websocket.v1, on
// Boost.Beast) that streams what a LiveFeed takes off the commit path.
//
// One thread runs everything of the server (an Asio io_context): it accepts
// clients (at most ServeOptions::max_clients at once; the next ones are
// closed with "try again later"), answers their operations, and every
// poll period drains the feed's ring, decodes the wanted slots
// (MessageDecoder, bytes as base64), converts them to the channels' JSON
// and offers each message to every subscribed client's bounded queue.
// Nothing it does can block or slow a cycle: the feed drops copperlists
// when the server is behind, a client's queue drops messages when the
// client is behind, and both are counted (LiveStats).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "copper/status.hpp"
#include "live/feed.hpp"
#include "live/session.hpp"

namespace copper::live {

struct ServeOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8765;  // 0: any free port (LiveServer::port says which)
  size_t max_clients = 8;
  SessionLimits limits;
  std::chrono::milliseconds poll{2};
};

// "[HOST:]PORT" ("8765", "0.0.0.0:9000", "[::1]:8765", "localhost:8765");
// empty: the defaults, 127.0.0.1:8765.
Result<ServeOptions> parse_serve_address(std::string_view text);

struct LiveStats {
  struct ChannelCounts {
    std::string topic;
    uint64_t sent = 0;     // messages queued to clients
    uint64_t dropped = 0;  // messages a full client queue refused
    uint64_t failed = 0;   // messages that could not be decoded or converted
  };
  uint64_t clients = 0;          // connections accepted (refused ones apart)
  uint64_t refused_clients = 0;  // beyond max_clients
  uint64_t cls_streamed = 0;     // copperlists the feed handed over
  uint64_t cls_dropped = 0;      // copperlists the feed dropped (server behind)
  uint64_t cls_skipped = 0;      // copperlists the view's rate left out (--serve-rate)
  double max_rate_hz = 0;        // that rate, 0: none
  std::vector<ChannelCounts> channels;
  std::vector<ClientStats> client_list;

  uint64_t messages_dropped() const;
  // One paragraph for the recorder's summary.
  std::string summary() const;
  nlohmann::json to_json() const;
};

class LiveServer {
 public:
  // Listens on the address, then serves on its own thread; an address that
  // cannot be used (in use, not local, not an address) is invalid_argument.
  // `metadata`: the log metadata the channels come from (tasks, slots,
  // foxglove mappings). The feed must outlive the server.
  static Result<std::unique_ptr<LiveServer>> start(const ServeOptions& options, LiveFeed& feed,
                                                   const nlohmann::json& metadata);
  ~LiveServer();
  LiveServer(const LiveServer&) = delete;
  LiveServer& operator=(const LiveServer&) = delete;

  uint16_t port() const;
  std::string url() const;  // ws://HOST:PORT
  // Closes every client and joins the thread; idempotent.
  void stop();
  // After stop().
  LiveStats stats() const;

  struct Core;

 private:
  explicit LiveServer(std::unique_ptr<Core> core);
  std::unique_ptr<Core> core_;
};

}  // namespace copper::live
