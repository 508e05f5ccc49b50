#include "live/server.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <charconv>
#include <thread>

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "copper/version.hpp"

namespace copper::live {

namespace asio = boost::asio;
using asio::ip::tcp;
using nlohmann::json;

namespace {

// Frames drained per poll: the rest wait for the next one, so sessions'
// reads and writes are served in between.
constexpr int kFramesPerPoll = 256;

// How long viewers get to answer the close handshake when the run ends.
constexpr auto kCloseGrace = std::chrono::milliseconds(500);

Result<uint16_t> parse_port(std::string_view text) {
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value > 65535)
    return Status::invalid_argument(fmt::format("--serve: \"{}\" is not a port (0..65535)", text));
  return static_cast<uint16_t>(value);
}

}  // namespace

Result<ServeOptions> parse_serve_address(std::string_view text) {
  ServeOptions options;
  if (text.empty()) return options;
  std::string_view port = text;
  if (text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return Status::invalid_argument(fmt::format("--serve: \"{}\" is not [HOST]:PORT", text));
    options.host = std::string(text.substr(1, close - 1));
    port = text.substr(close + 2);
  } else if (const size_t colon = text.rfind(':'); colon != std::string_view::npos) {
    options.host = std::string(text.substr(0, colon));
    port = text.substr(colon + 1);
  }
  auto number = parse_port(port);
  if (!number.ok()) return number.status();
  options.port = *number;
  return options;
}

uint64_t LiveStats::messages_dropped() const {
  uint64_t total = 0;
  for (const auto& c : channels) total += c.dropped;
  return total;
}

std::string LiveStats::summary() const {
  const std::string rate = max_rate_hz > 0 ? fmt::format("{:g} Hz", max_rate_hz) : "every copperlist";
  std::string text = fmt::format(
      "live view: {} clients ({} refused), {} copperlists streamed, {} skipped (view rate: {}), {} dropped (server "
      "behind), {} messages dropped (clients behind)\n",
      clients, refused_clients, cls_streamed, cls_skipped, rate, cls_dropped, messages_dropped());
  for (const auto& c : channels)
    if (c.sent != 0 || c.dropped != 0 || c.failed != 0)
      text += fmt::format("  {:<28} {:>9} sent {:>9} dropped {:>6} failed\n", c.topic, c.sent, c.dropped, c.failed);
  for (const auto& c : client_list)
    text += fmt::format("  client {:<21} {:>9} sent {:>9} dropped {:>6} bad frames\n", c.peer, c.sent, c.dropped,
                        c.bad_frames);
  return text;
}

json LiveStats::to_json() const {
  json channel_list = json::array(), clients_json = json::array();
  for (const auto& c : channels)
    channel_list.push_back({{"topic", c.topic}, {"sent", c.sent}, {"dropped", c.dropped}, {"failed", c.failed}});
  for (const auto& c : client_list)
    clients_json.push_back({{"peer", c.peer}, {"sent", c.sent}, {"dropped", c.dropped}, {"bad_frames", c.bad_frames}});
  return {{"clients", clients},
          {"refused_clients", refused_clients},
          {"cls_streamed", cls_streamed},
          {"cls_dropped", cls_dropped},
          {"cls_skipped", cls_skipped},
          {"max_rate_hz", max_rate_hz},
          {"messages_dropped", messages_dropped()},
          {"channels", std::move(channel_list)},
          {"client_list", std::move(clients_json)}};
}

// Everything below runs on the server thread, except start (before the
// thread) and stop/stats (which join it first).
struct LiveServer::Core final : SessionHost {
  Core(const ServeOptions& options, LiveFeed& feed, std::unique_ptr<ChannelSet> channel_set)
      : options_(options),
        feed_(feed),
        channels_(std::move(channel_set)),
        acceptor_(io_),
        poll_(io_),
        grace_(io_),
        subscribers_(channels_->all().size(), 0) {
    for (const Channel& c : channels_->all()) stats_.channels.push_back({c.topic});
  }

  Status listen();
  void run();
  void accept();
  void schedule_poll();
  bool drain();
  void offer(const Channel& c, const FrameView& frame);
  void shutdown();

  const ChannelSet& channels() const override { return *channels_; }
  std::string server_info() const override;
  void subscribers_changed(uint32_t channel, int delta) override;
  void session_ended(const std::shared_ptr<Session>& session) override;

  ServeOptions options_;
  LiveFeed& feed_;
  std::unique_ptr<ChannelSet> channels_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  asio::steady_timer poll_;
  asio::steady_timer grace_;           // viewers' time to answer the close, at the end
  std::vector<uint32_t> subscribers_;  // per channel
  std::vector<std::shared_ptr<Session>> sessions_;
  std::vector<uint8_t> frame_;
  FrameView view_;
  std::vector<std::string> payloads_;
  LiveStats stats_;
  uint16_t port_ = 0;
  bool stopping_ = false;
  bool polling_ = false;
  std::thread thread_;
  bool joined_ = false;
};

Status LiveServer::Core::listen() {
  boost::system::error_code ec;
  tcp::resolver resolver(io_);
  const auto results = resolver.resolve(options_.host, std::to_string(options_.port), tcp::resolver::passive, ec);
  if (ec || results.empty())
    return Status::invalid_argument(fmt::format("--serve: cannot resolve \"{}\": {}", options_.host, ec.message()));
  const tcp::endpoint endpoint = results.begin()->endpoint();
  const std::string where = fmt::format("{}:{}", options_.host, options_.port);
  if (acceptor_.open(endpoint.protocol(), ec) || acceptor_.set_option(tcp::acceptor::reuse_address(true), ec) ||
      acceptor_.bind(endpoint, ec) || acceptor_.listen(asio::socket_base::max_listen_connections, ec))
    return Status::invalid_argument(fmt::format("--serve: cannot listen on {}: {}", where, ec.message()));
  port_ = acceptor_.local_endpoint(ec).port();
  return {};
}

// The robot comes first: on a machine with no spare core the server's
// decoding and JSON would take CPU from the tasks, so its thread runs at
// the lowest priority (nice 19; on Linux a thread's own). It then falls
// behind instead, and the feed drops copperlists, counted.
void LiveServer::Core::run() {
  (void)setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 19);
  accept();
  io_.run();
}

void LiveServer::Core::accept() {
  acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
    if (ec || stopping_) return;
    const bool refuse = sessions_.size() >= options_.max_clients;
    ++(refuse ? stats_.refused_clients : stats_.clients);
    auto session = std::make_shared<Session>(std::move(socket), *this, options_.limits, refuse);
    sessions_.push_back(session);
    session->start();
    accept();
  });
}

// Polls only while someone is subscribed (and once more after, to empty
// the ring): an idle server sleeps in epoll and costs the run nothing.
void LiveServer::Core::schedule_poll() {
  if (polling_ || stopping_) return;
  polling_ = true;
  poll_.expires_after(options_.poll);
  poll_.async_wait([this](boost::system::error_code ec) {
    polling_ = false;
    if (ec || stopping_) return;
    const bool more = drain();
    if (more || std::any_of(subscribers_.begin(), subscribers_.end(), [](uint32_t n) { return n != 0; }))
      schedule_poll();
  });
}

// True when it stopped at kFramesPerPoll (the ring may hold more).
bool LiveServer::Core::drain() {
  for (int n = 0; n < kFramesPerPoll; ++n) {
    if (!feed_.pop(frame_)) return false;
    if (!LiveFeed::parse(frame_, view_)) continue;
    ++stats_.cls_streamed;
    for (const Channel& c : channels_->all())
      if (subscribers_[c.id] != 0) offer(c, view_);
  }
  return true;
}

// One payload, shared by every client's queue; each adds its own header.
void LiveServer::Core::offer(const Channel& c, const FrameView& frame) {
  payloads_.clear();
  LiveStats::ChannelCounts& counts = stats_.channels[c.id];
  channels_->render(c, frame, payloads_, counts.failed);
  const auto time = static_cast<uint64_t>(frame.time);
  for (std::string& payload : payloads_) {
    const auto shared = std::make_shared<const std::string>(std::move(payload));
    for (const auto& session : sessions_) {
      const Session::Offer result = session->offer(c.id, time, shared);
      if (result == Session::Offer::queued) ++counts.sent;
      if (result == Session::Offer::dropped) ++counts.dropped;
    }
  }
}

std::string LiveServer::Core::server_info() const {
  return json{{"op", "serverInfo"},
              {"name", fmt::format("copper-record {}", kVersion)},
              {"capabilities", json::array()},
              {"metadata", {{"copperlist_time", "message timestamps are copperlist times, in ns"}}}}
      .dump();
}

void LiveServer::Core::subscribers_changed(uint32_t channel, int delta) {
  const uint32_t before = subscribers_[channel];
  subscribers_[channel] = static_cast<uint32_t>(static_cast<int64_t>(before) + delta);
  if ((before == 0) == (subscribers_[channel] == 0)) return;
  schedule_poll();
  const Channel& changed = *channels_->find(channel);
  if (changed.kind == Channel::Kind::log) return feed_.want_text(subscribers_[channel] != 0);
  bool wanted = false;
  for (const Channel& c : channels_->all())
    if (c.kind != Channel::Kind::log && c.slot == changed.slot && subscribers_[c.id] != 0) wanted = true;
  feed_.want_slot(changed.slot, wanted);
}

void LiveServer::Core::session_ended(const std::shared_ptr<Session>& session) {
  const auto found = std::find(sessions_.begin(), sessions_.end(), session);
  if (found == sessions_.end()) return;
  if (!session->stats().peer.empty()) stats_.client_list.push_back(session->stats());
  sessions_.erase(found);
  if (stopping_ && sessions_.empty()) grace_.cancel();  // the last viewer closed: no grace to wait out
}

// Every viewer gets the close handshake; one that has not answered within
// kCloseGrace (stuck, or gone without a word) is cut off, so stop() never
// waits on a client.
void LiveServer::Core::shutdown() {
  stopping_ = true;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  poll_.cancel();
  const auto sessions = sessions_;  // each ends by removing itself
  for (const auto& session : sessions) session->close();
  if (sessions_.empty()) return;
  grace_.expires_after(kCloseGrace);
  grace_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    const auto remaining = sessions_;
    for (const auto& session : remaining) session->abort();
  });
}

Result<std::unique_ptr<LiveServer>> LiveServer::start(const ServeOptions& options, LiveFeed& feed,
                                                      const json& metadata) {
  auto channel_set = ChannelSet::build(metadata);
  if (!channel_set.ok()) return channel_set.status();
  auto core = std::make_unique<Core>(options, feed, std::move(channel_set.value()));
  if (Status listening = core->listen(); !listening.ok()) return listening;
  Core* raw = core.get();
  core->thread_ = std::thread([raw] { raw->run(); });
  return std::unique_ptr<LiveServer>(new LiveServer(std::move(core)));
}

LiveServer::LiveServer(std::unique_ptr<Core> core) : core_(std::move(core)) {}

LiveServer::~LiveServer() { stop(); }

uint16_t LiveServer::port() const { return core_->port_; }

std::string LiveServer::url() const {
  const std::string& host = core_->options_.host;
  if (host.find(':') != std::string::npos) return fmt::format("ws://[{}]:{}", host, core_->port_);
  return fmt::format("ws://{}:{}", host, core_->port_);
}

void LiveServer::stop() {
  if (core_->joined_) return;
  asio::post(core_->io_, [core = core_.get()] { core->shutdown(); });
  core_->thread_.join();
  core_->joined_ = true;
  core_->stats_.cls_dropped = core_->feed_.dropped_cls();
  core_->stats_.cls_skipped = core_->feed_.skipped_cls();
  core_->stats_.max_rate_hz = core_->feed_.max_rate_hz();
}

LiveStats LiveServer::stats() const { return core_->stats_; }

}  // namespace copper::live
