// The platform's outbound HTTP client, one per remote service ("provider"): pooled keep-alive connections
// with a DNS cache, connect / read / total timeouts, retries with exponential back-off and jitter on 429,
// 5xx and time-outs (honouring Retry-After), a cap on requests in flight, a circuit breaker, and metrics per
// provider. On libcurl: one share handle per client holds the connection and DNS caches for every thread.
//
// Calls block: make them from job workers (or through RunBlocking), never on an IO thread.
//
// A full cap and an open breaker are not failures of the request but reasons to wait: Send answers
// kOverloaded or kUnavailable at once, without touching the network, so a job can defer itself instead of
// holding a worker (or memory) while it waits.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "http/message.hpp"

namespace keel {
class Metrics;
}

namespace keel::http {

struct HttpClientOptions {
  std::string provider;               // the metrics label, e.g. "fal"
  std::size_t max_connections = 100;  // kept alive, over all hosts
  std::size_t max_per_host = 30;      // requests in flight to one host at once
  std::size_t max_in_flight = 30;     // requests in flight to the provider at once (the cap)
  std::chrono::seconds dns_cache{300};
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds read_timeout{60'000};    // with no byte arriving
  std::chrono::milliseconds total_timeout{300'000};  // per attempt
  int attempts = 3;                                  // per Send, the first included
  std::chrono::milliseconds backoff_base{200};
  std::chrono::milliseconds backoff_max{10'000};
  // The breaker opens after this many failures in a row (5xx, 429, time-outs, connection errors), for
  // `breaker_open`; then one trial request decides whether it closes.
  int breaker_failures = 5;
  std::chrono::milliseconds breaker_open{30'000};
};

struct OutboundRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers = {};
  std::string body = {};
  // Connect to this address instead of resolving the URL's host (a webhook target checked against SSRF is
  // reached at the address that was checked). Empty: resolve.
  std::string pinned_address = {};
  bool retry = true;  // false for requests that must not be sent twice (a POST that is not idempotent)
  // When set, each piece of a 2xx response's body is also handed to it as it arrives (a streamed answer:
  // server-sent events). Once a piece was handed over the request is not retried, so none is seen twice.
  std::function<void(std::string_view)> on_body = {};
};

struct OutboundResponse {
  int status = 0;
  Headers headers;
  std::string body;
};

enum class BreakerState { kClosed = 0, kHalfOpen = 1, kOpen = 2 };

class HttpClient {
 public:
  HttpClient(HttpClientOptions options, Metrics& metrics);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends the request, retrying what is worth retrying. Any answer that is not retried (2xx-4xx, or a 429 or
  // 5xx on the last attempt) is the response. Errors: kOverloaded (the cap is full), kUnavailable (the
  // breaker is open, or connection failures on every attempt), kTimeout (every attempt timed out),
  // kInvalidArgument (a URL libcurl refuses).
  Result<OutboundResponse> Send(const OutboundRequest& request);

  BreakerState breaker() const;
  const HttpClientOptions& options() const { return options_; }
  // The time to wait before trying again when Send answered kOverloaded or kUnavailable.
  std::chrono::milliseconds RetryLater() const;

 private:
  struct Curl;
  struct Instruments;
  // One attempt: the response, or the transport error (kTimeout, kUnavailable, kInvalidArgument). `streamed`
  // is set when a piece of the body went to request.on_body.
  Result<OutboundResponse> Attempt(const OutboundRequest& request, bool& streamed);
  bool AdmitThroughBreaker();
  void Record(bool failure);
  std::chrono::milliseconds Backoff(int attempt, const OutboundResponse* response) const;

  const HttpClientOptions options_;
  std::unique_ptr<Curl> curl_;
  std::unique_ptr<Instruments> instruments_;
  std::atomic<std::size_t> in_flight_{0};
  mutable std::mutex breaker_mutex_;
  int failures_ = 0;
  BreakerState state_ = BreakerState::kClosed;
  std::chrono::steady_clock::time_point opened_at_{};
  bool trial_in_flight_ = false;
};

// Seconds or an HTTP date in a Retry-After value, as a delay from now; nullopt when it says neither.
std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value);

}  // namespace keel::http
