// One viewer connected to the live view: the WebSocket handshake (Beast),
// the client's operations (subscribe, unsubscribe) and a bounded send
// queue. Runs on the server thread only, like everything it touches.
//
// Protocol (foxglove.websocket.v1): on connect the server sends serverInfo
// and advertise; the client subscribes to channels by id with ids of its
// own; each message then goes out as a binary frame: opcode 0x01, u32
// subscription id, u64 time (ns), the JSON payload. A frame the server
// cannot use (not JSON, not an object, an unknown op, a bad subscription,
// binary data: clients may not publish) is answered with a status message
// of level error and the connection stays; a frame larger than
// kMaxClientFrame closes it.
//
// The send queue holds at most Limits::queue_messages messages and
// Limits::queue_bytes bytes: a message that finds it full is dropped and
// counted (per client here, per channel by the server). Control messages
// (status) beyond twice the limits close the connection instead: a client
// that floods bad frames and never reads is not worth memory.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "live/channels.hpp"

namespace copper::live {

constexpr const char* kSubprotocol = "foxglove.websocket.v1";
constexpr size_t kMaxClientFrame = 64 * 1024;

struct SessionLimits {
  size_t queue_messages = 1024;
  size_t queue_bytes = 16u << 20;
};

struct ClientStats {
  std::string peer;  // "127.0.0.1:53422"
  uint64_t sent = 0;
  uint64_t dropped = 0;
  uint64_t bad_frames = 0;  // answered with an error status
};

// What a session asks of the server.
class SessionHost {
 public:
  virtual ~SessionHost() = default;
  virtual const ChannelSet& channels() const = 0;
  virtual std::string server_info() const = 0;
  // A channel gained (+1) or lost (-1) a subscriber.
  virtual void subscribers_changed(uint32_t channel, int delta) = 0;
  virtual void session_ended(const std::shared_ptr<class Session>& session) = 0;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  enum class Offer { not_subscribed, queued, dropped };

  // `refuse`: the server is full; the handshake completes and the session
  // closes at once with "try again later" (1013).
  Session(boost::asio::ip::tcp::socket socket, SessionHost& host, SessionLimits limits, bool refuse);

  void start();
  // Queues one message of `channel` for this client if it subscribed to it.
  Offer offer(uint32_t channel, uint64_t time_ns, const std::shared_ptr<const std::string>& payload);
  // The run is over: drops what is queued (but a frame being written),
  // then closes with the WebSocket close handshake, code 1001 ("going
  // away"), so a viewer sees that the recording ended, not a lost
  // connection.
  void close();
  // Ends the connection at once (a viewer that does not answer the close).
  void abort() { end(); }

  const ClientStats& stats() const { return stats_; }

 private:
  struct Outgoing {
    std::array<uint8_t, 13> header{};
    bool binary = false;
    std::shared_ptr<const std::string> body;
  };

  void on_request(boost::beast::error_code ec);
  void on_accept(boost::beast::error_code ec);
  void read_next();
  void on_read(boost::beast::error_code ec);
  void handle_text(const std::string& text);
  void subscribe(const nlohmann::json& request);
  void unsubscribe(const nlohmann::json& request);
  void send_status(int level, const std::string& message);
  void send_text(std::string text);
  void write_next();
  void on_write(boost::beast::error_code ec);
  void start_close();
  void end();

  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  SessionHost& host_;
  SessionLimits limits_;
  bool refuse_;
  boost::beast::flat_buffer buffer_;
  boost::beast::http::request<boost::beast::http::string_body> request_;
  std::unordered_map<uint32_t, uint32_t> subscriptions_;  // subscription id -> channel
  std::vector<int64_t> subscription_of_;                  // channel -> subscription id, -1: none
  std::deque<Outgoing> queue_;
  size_t queued_bytes_ = 0;
  bool writing_ = false;
  bool open_ = false;  // handshake done, not ended
  bool closing_ = false;  // close() called: the close frame goes after the frame being written
  bool ended_ = false;
  ClientStats stats_;
};

}  // namespace copper::live
