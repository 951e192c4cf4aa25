// The outbound client against a scripted loopback server: retries on 429 and 5xx (Retry-After honoured),
// time-outs, the circuit breaker opening and closing, the in-flight cap, and address pinning.
#include "http/outbound/http_client.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "core/metrics.hpp"

namespace keel::http {
namespace {

using namespace std::chrono_literals;

// Answers each connection with the next scripted reply ("hang" waits up to 3 s before closing), then closes
// it. Its destructor joins every connection's thread, so none outlives the replies it reads.
class ScriptedServer {
 public:
  ScriptedServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address));
    socklen_t size = sizeof(address);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size);
    port_ = ntohs(address.sin_port);
    ::listen(fd_, 64);
    thread_ = std::thread([this] { Serve(); });
  }
  ~ScriptedServer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
    for (auto& connection : connections_) connection.join();  // the acceptor, which added them, has ended
  }

  void Script(std::string reply) {
    std::lock_guard lock(mutex_);
    replies_.push_back(std::move(reply));
  }
  std::string Url(std::string_view path = "/x") const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }
  std::string UrlNamed(std::string_view host) const {
    return "http://" + std::string(host) + ":" + std::to_string(port_) + "/x";
  }
  int requests() const { return requests_; }

  static std::string Reply(int status, std::string body = "ok", std::string extra = "") {
    return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\n" + extra + "Connection: close\r\n\r\n" + body;
  }

 private:
  void Serve() {
    while (!stop_) {
      int client = ::accept(fd_, nullptr, nullptr);
      if (client < 0) return;
      connections_.emplace_back([this, client] {
        char buffer[4096];
        std::string request;
        while (request.find("\r\n\r\n") == std::string::npos) {
          ssize_t n = ::recv(client, buffer, sizeof(buffer), 0);
          if (n <= 0) break;
          request.append(buffer, static_cast<std::size_t>(n));
        }
        ++requests_;
        std::string reply;
        {
          std::lock_guard lock(mutex_);
          if (!replies_.empty()) {
            reply = replies_.front();
            replies_.pop_front();
          } else {
            reply = Reply(200);
          }
        }
        if (reply == "hang") {
          for (int waited = 0; waited < 300 && !stop_; ++waited) std::this_thread::sleep_for(10ms);
        } else {
          ::send(client, reply.data(), reply.size(), MSG_NOSIGNAL);
        }
        ::close(client);
      });
    }
  }

  int fd_;
  int port_ = 0;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::mutex mutex_;
  std::deque<std::string> replies_;
  std::vector<std::thread> connections_;
};

HttpClientOptions Fast() {
  HttpClientOptions options;
  options.provider = "test";
  options.backoff_base = 10ms;
  options.backoff_max = 200ms;
  options.breaker_failures = 3;
  options.breaker_open = 300ms;
  options.read_timeout = 1000ms;
  options.total_timeout = 1000ms;
  return options;
}

TEST(HttpClient, RetriesServerErrorsAndRateLimitsHonouringRetryAfter) {
  ScriptedServer server;
  server.Script(ScriptedServer::Reply(500));
  server.Script(ScriptedServer::Reply(429, "slow down", "Retry-After: 0\r\n"));
  server.Script(ScriptedServer::Reply(200, "done"));
  Metrics metrics;
  HttpClient client(Fast(), metrics);
  auto answer = client.Send({.url = server.Url()});
  ASSERT_TRUE(answer.ok()) << answer.error().message;
  EXPECT_EQ(answer->status, 200);
  EXPECT_EQ(answer->body, "done");
  EXPECT_EQ(server.requests(), 3);
  EXPECT_EQ(client.breaker(), BreakerState::kClosed);
}

TEST(HttpClient, AStreamedBodyIsHandedOnAndNeverRetriedOnceItBegan) {
  ScriptedServer server;
  server.Script(ScriptedServer::Reply(503, "busy"));  // not 2xx: nothing handed on, and retried
  server.Script(ScriptedServer::Reply(200, "data: one\n\ndata: two\n\n"));
  // A body cut short after its first piece: an error, and not sent again.
  server.Script("HTTP/1.1 200 X\r\nContent-Length: 100\r\nConnection: close\r\n\r\ndata: half");
  Metrics metrics;
  HttpClient client(Fast(), metrics);
  std::string streamed;
  OutboundRequest request{.url = server.Url()};
  request.on_body = [&streamed](std::string_view piece) { streamed += piece; };
  auto answer = client.Send(request);
  ASSERT_TRUE(answer.ok()) << answer.error().message;
  EXPECT_EQ(answer->status, 200);
  EXPECT_EQ(streamed, "data: one\n\ndata: two\n\n");
  EXPECT_EQ(server.requests(), 2);
  streamed.clear();
  auto cut = client.Send(request);
  EXPECT_FALSE(cut.ok());
  EXPECT_EQ(streamed, "data: half");
  EXPECT_EQ(server.requests(), 3);
}

TEST(HttpClient, ClientErrorsAreAnswersNotRetries) {
  ScriptedServer server;
  server.Script(ScriptedServer::Reply(404, "nope"));
  Metrics metrics;
  HttpClient client(Fast(), metrics);
  auto answer = client.Send({.url = server.Url()});
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(answer->status, 404);
  EXPECT_EQ(server.requests(), 1);
}

TEST(HttpClient, TimeoutsOpenTheBreakerWhichRefusesAtOnceThenClosesAfterATrial) {
  ScriptedServer server;
  for (int i = 0; i < 3; ++i) server.Script("hang");
  Metrics metrics;
  HttpClientOptions options = Fast();
  options.total_timeout = 200ms;
  HttpClient client(options, metrics);
  auto answer = client.Send({.url = server.Url()});
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.error().code, ErrorCode::kTimeout);
  EXPECT_EQ(client.breaker(), BreakerState::kOpen);
  auto refused = client.Send({.url = server.Url()});
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(server.requests(), 3);  // refused without a request
  EXPECT_GT(client.RetryLater().count(), 0);
  std::this_thread::sleep_for(350ms);
  EXPECT_EQ(client.breaker(), BreakerState::kHalfOpen);
  auto trial = client.Send({.url = server.Url()});
  ASSERT_TRUE(trial.ok()) << trial.error().message;
  EXPECT_EQ(client.breaker(), BreakerState::kClosed);
}

TEST(HttpClient, TheCapRefusesWithoutWaiting) {
  ScriptedServer server;
  server.Script("hang");
  Metrics metrics;
  HttpClientOptions options = Fast();
  options.max_in_flight = 1;
  options.attempts = 1;
  HttpClient client(options, metrics);
  std::thread first([&] { (void)client.Send({.url = server.Url()}); });
  while (server.requests() == 0) std::this_thread::sleep_for(5ms);
  auto refused = client.Send({.url = server.Url()});
  first.join();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kOverloaded);
}

TEST(HttpClient, PinnedAddressIsReachedWhateverTheName) {
  ScriptedServer server;
  Metrics metrics;
  HttpClient client(Fast(), metrics);
  auto answer = client.Send({.url = server.UrlNamed("hooks.invalid"), .pinned_address = "127.0.0.1"});
  ASSERT_TRUE(answer.ok()) << answer.error().message;
  EXPECT_EQ(answer->status, 200);
}

TEST(HttpClient, RetryAfterReadsSecondsAndDates) {
  EXPECT_EQ(ParseRetryAfter("7").value_or(0ms), 7000ms);
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT").value_or(1ms), 0ms);  // in the past
  EXPECT_FALSE(ParseRetryAfter("soon"));
}

}  // namespace
}  // namespace keel::http
