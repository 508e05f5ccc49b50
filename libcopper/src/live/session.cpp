#include "live/session.hpp"

#include <fmt/format.h>

#include <chrono>

#include "log/layout.hpp"

namespace copper::live {

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using nlohmann::json;

namespace {

constexpr auto kHandshakeTimeout = std::chrono::seconds(10);
constexpr int kStatusError = 2;

// The request offers the subprotocol among its comma-separated list.
bool offers_subprotocol(const http::request<http::string_body>& request) {
  const auto offered = request[http::field::sec_websocket_protocol];
  size_t start = 0;
  while (start <= offered.size()) {
    size_t end = offered.find(',', start);
    if (end == beast::string_view::npos) end = offered.size();
    auto item = offered.substr(start, end - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item == kSubprotocol) return true;
    start = end + 1;
  }
  return false;
}

std::string peer_of(const boost::asio::ip::tcp::socket& socket) {
  boost::system::error_code ec;
  const auto endpoint = socket.remote_endpoint(ec);
  return ec ? std::string("unknown") : fmt::format("{}:{}", endpoint.address().to_string(), endpoint.port());
}

}  // namespace

Session::Session(boost::asio::ip::tcp::socket socket, SessionHost& host, SessionLimits limits, bool refuse)
    : ws_(std::move(socket)),
      host_(host),
      limits_(limits),
      refuse_(refuse),
      subscription_of_(host.channels().all().size(), -1) {
  stats_.peer = peer_of(beast::get_lowest_layer(ws_).socket());
}

void Session::start() {
  beast::get_lowest_layer(ws_).expires_after(kHandshakeTimeout);
  http::async_read(ws_.next_layer(), buffer_, request_,
                   [self = shared_from_this()](beast::error_code ec, size_t) { self->on_request(ec); });
}

// A request without the subprotocol gets a plain HTTP 400 saying why.
void Session::on_request(beast::error_code ec) {
  if (ec || ended_) return end();
  if (!websocket::is_upgrade(request_) || !offers_subprotocol(request_)) {
    auto response = std::make_shared<http::response<http::string_body>>(http::status::bad_request, request_.version());
    response->set(http::field::content_type, "text/plain");
    response->body() = fmt::format("copper live view: a WebSocket client offering subprotocol {}\n", kSubprotocol);
    response->prepare_payload();
    response->keep_alive(false);
    http::async_write(ws_.next_layer(), *response,
                      [self = shared_from_this(), response](beast::error_code, size_t) { self->end(); });
    return;
  }
  beast::get_lowest_layer(ws_).expires_never();
  ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
  ws_.set_option(websocket::stream_base::decorator([](websocket::response_type& response) {
    response.set(http::field::sec_websocket_protocol, kSubprotocol);
    response.set(http::field::server, "copper-record");
  }));
  ws_.read_message_max(kMaxClientFrame);
  ws_.async_accept(request_, [self = shared_from_this()](beast::error_code e) { self->on_accept(e); });
}

void Session::on_accept(beast::error_code ec) {
  if (ec || ended_) return end();
  if (refuse_) {
    ws_.async_close({websocket::close_code::try_again_later, "too many clients"},
                    [self = shared_from_this()](beast::error_code) { self->end(); });
    return;
  }
  open_ = true;
  send_text(host_.server_info());
  send_text(host_.channels().advertise());
  buffer_.clear();
  read_next();
}

void Session::read_next() {
  ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, size_t) { self->on_read(ec); });
}

void Session::on_read(beast::error_code ec) {
  if (ec || ended_) return end();
  if (ws_.got_text()) {
    handle_text(beast::buffers_to_string(buffer_.data()));
  } else {
    ++stats_.bad_frames;
    send_status(kStatusError, "binary frames are not accepted: this server does not support client publishing");
  }
  buffer_.consume(buffer_.size());
  if (!ended_) read_next();
}

void Session::handle_text(const std::string& text) {
  const json request = json::parse(text, nullptr, false);
  const json* op = request.is_object() && request.contains("op") ? &request["op"] : nullptr;
  if (op == nullptr || !op->is_string()) {
    ++stats_.bad_frames;
    return send_status(kStatusError, "expected a JSON object with a string \"op\"");
  }
  if (*op == "subscribe") return subscribe(request);
  if (*op == "unsubscribe") return unsubscribe(request);
  ++stats_.bad_frames;
  send_status(kStatusError, fmt::format("unsupported operation \"{}\"", op->get<std::string>()));
}

// Each subscription on its own: a bad one is reported, the others stand.
void Session::subscribe(const json& request) {
  const json& list = request.contains("subscriptions") ? request["subscriptions"] : json();
  if (!list.is_array()) {
    ++stats_.bad_frames;
    return send_status(kStatusError, "subscribe: \"subscriptions\" must be an array");
  }
  for (const json& item : list) {
    const bool shaped = item.is_object() && item.contains("id") && item["id"].is_number_unsigned() &&
                        item.contains("channelId") && item["channelId"].is_number_unsigned();
    const uint64_t id = shaped ? item["id"].get<uint64_t>() : 0;
    const uint64_t channel = shaped ? item["channelId"].get<uint64_t>() : 0;
    std::string problem;
    if (!shaped || id > UINT32_MAX)
      problem = "each subscription needs an unsigned 32-bit \"id\" and a \"channelId\"";
    else if (channel >= subscription_of_.size())
      problem = fmt::format("no channel {}", channel);
    else if (subscriptions_.count(static_cast<uint32_t>(id)) != 0)
      problem = fmt::format("subscription id {} is in use", id);
    else if (subscription_of_[channel] >= 0)
      problem = fmt::format("channel {} is already subscribed", channel);
    if (!problem.empty()) {
      ++stats_.bad_frames;
      send_status(kStatusError, "subscribe: " + problem);
      continue;
    }
    subscriptions_[static_cast<uint32_t>(id)] = static_cast<uint32_t>(channel);
    subscription_of_[channel] = static_cast<int64_t>(id);
    host_.subscribers_changed(static_cast<uint32_t>(channel), +1);
  }
}

void Session::unsubscribe(const json& request) {
  const json& list = request.contains("subscriptionIds") ? request["subscriptionIds"] : json();
  if (!list.is_array()) {
    ++stats_.bad_frames;
    return send_status(kStatusError, "unsubscribe: \"subscriptionIds\" must be an array");
  }
  for (const json& item : list) {
    const auto found = item.is_number_unsigned() ? subscriptions_.find(item.get<uint32_t>()) : subscriptions_.end();
    if (found == subscriptions_.end()) {
      ++stats_.bad_frames;
      send_status(kStatusError, fmt::format("unsubscribe: no subscription {}", item.dump()));
      continue;
    }
    const uint32_t channel = found->second;
    subscriptions_.erase(found);
    subscription_of_[channel] = -1;
    host_.subscribers_changed(channel, -1);
  }
}

void Session::send_status(int level, const std::string& message) {
  send_text(json{{"op", "status"}, {"level", level}, {"message", message}}.dump());
}

void Session::send_text(std::string text) {
  if (queue_.size() >= 2 * limits_.queue_messages || queued_bytes_ + text.size() > 2 * limits_.queue_bytes)
    return end();
  queued_bytes_ += text.size();
  queue_.push_back({{}, false, std::make_shared<const std::string>(std::move(text))});
  write_next();
}

Session::Offer Session::offer(uint32_t channel, uint64_t time_ns, const std::shared_ptr<const std::string>& payload) {
  if (!open_ || channel >= subscription_of_.size() || subscription_of_[channel] < 0) return Offer::not_subscribed;
  if (queue_.size() >= limits_.queue_messages || queued_bytes_ + payload->size() > limits_.queue_bytes) {
    ++stats_.dropped;
    return Offer::dropped;
  }
  Outgoing out{{}, true, payload};
  out.header[0] = 0x01;
  log::store_le<uint32_t>(out.header.data() + 1, static_cast<uint32_t>(subscription_of_[channel]));
  log::store_le<uint64_t>(out.header.data() + 5, time_ns);
  queued_bytes_ += payload->size();
  queue_.push_back(std::move(out));
  write_next();
  return Offer::queued;
}

void Session::write_next() {
  if (writing_ || queue_.empty() || !open_ || ended_) return;
  writing_ = true;
  const Outgoing& out = queue_.front();
  ws_.binary(out.binary);
  auto handler = [self = shared_from_this()](beast::error_code ec, size_t) { self->on_write(ec); };
  if (out.binary) {
    const std::array<boost::asio::const_buffer, 2> buffers{boost::asio::buffer(out.header),
                                                           boost::asio::buffer(*out.body)};
    ws_.async_write(buffers, std::move(handler));
  } else {
    ws_.async_write(boost::asio::buffer(*out.body), std::move(handler));
  }
}

void Session::on_write(beast::error_code ec) {
  writing_ = false;
  if (ec || ended_) return end();
  if (queue_.front().binary) ++stats_.sent;
  queued_bytes_ -= queue_.front().body->size();
  queue_.pop_front();
  if (closing_) return start_close();
  write_next();
}

void Session::close() {
  if (ended_ || closing_) return;
  if (!open_) return end();  // no WebSocket yet: nothing to close politely
  open_ = false;
  closing_ = true;
  while (queue_.size() > (writing_ ? 1u : 0u)) {
    queued_bytes_ -= queue_.back().body->size();
    queue_.pop_back();
  }
  if (!writing_) start_close();
}

// Beast writes the close frame and completes once the viewer's close frame
// comes back (through the read that is pending) or the connection fails.
void Session::start_close() {
  ws_.async_close({websocket::close_code::going_away, "recording ended"},
                  [self = shared_from_this()](beast::error_code) { self->end(); });
}

// Releases the subscriptions, tells the server, closes the socket (which
// ends every pending operation). Runs once.
void Session::end() {
  if (ended_) return;
  ended_ = true;
  open_ = false;
  for (const auto& [id, channel] : subscriptions_) host_.subscribers_changed(channel, -1);
  subscriptions_.clear();
  beast::error_code ignored;
  auto& socket = beast::get_lowest_layer(ws_).socket();
  socket.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
  host_.session_ended(shared_from_this());
}

}  // namespace copper::live
