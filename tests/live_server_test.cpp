// The live view's server in-process (src/live/server.hpp), with a Beast
// WebSocket client on the test's thread, the run on another: subscriptions
// reach the feed, messages carry their subscription id and copperlist time,
// the client limit holds. Starts threads: in copper_concurrency_tests.
//
// g++ 12 warns -Wnull-dereference inside Asio's scheduler as it inlines it
// here (a false positive in a header we do not own; the library's live
// sources are compiled without that warning for the same reason).
#pragma GCC diagnostic ignored "-Wnull-dereference"

#include <doctest/doctest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <thread>

#include <nlohmann/json.hpp>

#include "copper/clock.hpp"
#include "fixtures/run_helpers.hpp"
#include "live/server.hpp"
#include "log/writer_core.hpp"

namespace {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
using boost::asio::ip::tcp;
using nlohmann::json;

// A client speaking foxglove.websocket.v1, synchronously.
struct TestClient {
  explicit TestClient(uint16_t port) : ws(io) {
    tcp::resolver resolver(io);
    boost::asio::connect(ws.next_layer(), resolver.resolve("127.0.0.1", std::to_string(port)));
    ws.set_option(websocket::stream_base::decorator([](websocket::request_type& request) {
      request.set(beast::http::field::sec_websocket_protocol, copper::live::kSubprotocol);
    }));
    ws.handshake("127.0.0.1", "/");
  }
  // The next frame: text as JSON, or binary as {"binary": bytes}. Throws
  // what a read throws, or after 10 s without a frame (a server that sends
  // nothing fails the test instead of hanging the suite).
  json read() {
    beast::flat_buffer buffer;
    bool done = false;
    beast::error_code error;
    ws.async_read(buffer, [&](beast::error_code ec, size_t) {
      error = ec;
      done = true;
    });
    io.restart();
    io.run_for(std::chrono::seconds(10));
    if (!done) {
      beast::get_lowest_layer(ws).cancel();
      io.restart();
      io.run();  // the read's handler, with operation_aborted
      throw std::runtime_error("no frame from the server within 10 s");
    }
    if (error) throw beast::system_error(error);
    const std::string bytes = beast::buffers_to_string(buffer.data());
    if (ws.got_text()) return json::parse(bytes);
    return {{"binary", bytes}};
  }
  void send(const json& message) { ws.write(boost::asio::buffer(message.dump())); }

  boost::asio::io_context io;
  websocket::stream<tcp::socket> ws;
};

template <class T>
T le(const std::string& bytes, size_t at) {
  T value;
  std::memcpy(&value, bytes.data() + at, sizeof(T));
  return value;
}

bool wait_until(const std::function<bool()>& done) {
  for (int i = 0; i < 400 && !done(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  return done();
}

}  // namespace

TEST_CASE("live.server.subscribed_messages_carry_their_subscription_and_copperlist_time") {
  auto graph = testing_tasks::require_graph(testing_tasks::kTextChainGraph);
  copper::live::FeedOptions every_copperlist;  // the run's clock stands still: no rate
  every_copperlist.max_rate_hz = 0;
  copper::live::LiveFeed feed(graph, every_copperlist);
  copper::live::ServeOptions options;
  options.port = 0;
  auto server = copper::live::LiveServer::start(options, feed, copper::log::detail::graph_metadata(graph));
  REQUIRE(server.ok());
  TestClient client((*server)->port());
  CHECK(client.read()["op"] == "serverInfo");
  const json advertise = client.read();
  REQUIRE(advertise["op"] == "advertise");
  json subscriptions = json::array();
  std::map<uint32_t, std::string> topic_of;  // subscription id -> topic
  for (const auto& channel : advertise["channels"]) {
    if (channel["topic"] != "/a" && channel["topic"] != "/copper/log") continue;
    const uint32_t id = 100 + channel["id"].get<uint32_t>();
    subscriptions.push_back({{"id", id}, {"channelId", channel["id"]}});
    topic_of[id] = channel["topic"];
  }
  REQUIRE(subscriptions.size() == 2);
  client.send({{"op", "subscribe"}, {"subscriptions", subscriptions}});
  REQUIRE(wait_until([&] { return feed.active(); }));

  constexpr uint64_t kCycles = 30;
  std::thread run([&] {
    copper::ManualClock clock;
    copper::SerialExecutor executor(graph, clock);
    CHECK(executor.run(testing_tasks::cycles(kCycles), &feed).ok());
  });
  std::map<std::string, std::vector<json>> received;
  for (uint64_t n = 0; n < 2 * kCycles; ++n) {
    const json frame = client.read();
    REQUIRE(frame.contains("binary"));
    const std::string bytes = frame["binary"];
    REQUIRE(bytes.size() > 13);
    CHECK(bytes[0] == 0x01);
    const std::string topic = topic_of.at(le<uint32_t>(bytes, 1));
    json payload = json::parse(bytes.substr(13));
    payload["time"] = le<uint64_t>(bytes, 5);
    received[topic].push_back(payload);
  }
  run.join();
  (*server)->stop();
  REQUIRE(received["/a"].size() == kCycles);
  REQUIRE(received["/copper/log"].size() == kCycles);
  for (uint64_t i = 0; i < kCycles; ++i) {
    CHECK(received["/a"][i]["value"] == 5 * i);
    CHECK(received["/copper/log"][i]["name"] == "chat");
    CHECK(received["/copper/log"][i]["time"] == received["/a"][i]["time"]);
  }
  const auto stats = (*server)->stats();
  CHECK(stats.clients == 1);
  CHECK(stats.cls_streamed == kCycles);
  CHECK(stats.messages_dropped() == 0);
}

TEST_CASE("live.server.client_beyond_the_limit_is_told_to_try_again_later") {
  auto graph = testing_tasks::require_graph(testing_tasks::kTextChainGraph);
  copper::live::LiveFeed feed(graph);
  copper::live::ServeOptions options;
  options.port = 0;
  options.max_clients = 1;
  auto server = copper::live::LiveServer::start(options, feed, copper::log::detail::graph_metadata(graph));
  REQUIRE(server.ok());
  TestClient first((*server)->port());
  CHECK(first.read()["op"] == "serverInfo");
  TestClient second((*server)->port());
  beast::flat_buffer buffer;
  beast::error_code ec;
  second.ws.read(buffer, ec);
  CHECK(ec == websocket::error::closed);
  CHECK(second.ws.reason().code == websocket::close_code::try_again_later);
  (*server)->stop();
  CHECK((*server)->stats().refused_clients == 1);
  CHECK((*server)->stats().clients == 1);
}
