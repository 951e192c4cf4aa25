#include "http/outbound/http_client.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <ctime>
#include <map>
#include <random>
#include <thread>

#include <fmt/format.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>

#include "core/metrics.hpp"

namespace keel::http {

namespace {

constexpr std::size_t kMaxResponseBytes = std::size_t{512} << 20;

void InitCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Received {
  OutboundResponse response;
  bool too_large = false;
  int status = 0;  // of the response being read, from its status line
  const std::function<void(std::string_view)>* on_body = nullptr;
  bool streamed = false;  // a piece went to on_body
};

std::size_t OnBody(char* data, std::size_t size, std::size_t count, void* user) {
  auto* received = static_cast<Received*>(user);
  std::size_t bytes = size * count;
  if (received->response.body.size() + bytes > kMaxResponseBytes) {
    received->too_large = true;
    return 0;  // aborts the transfer
  }
  received->response.body.append(data, bytes);
  if (received->on_body != nullptr && *received->on_body && received->status >= 200 &&
      received->status < 300) {
    received->streamed = true;
    (*received->on_body)(std::string_view(data, bytes));
  }
  return bytes;
}

std::size_t OnHeader(char* data, std::size_t size, std::size_t count, void* user) {
  auto* received = static_cast<Received*>(user);
  std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {
    received->response.headers = Headers();  // a new response (after 100 Continue): its own headers
    auto space = line.find(' ');
    received->status = 0;
    for (std::size_t i = space + 1; space != std::string_view::npos && i < line.size() && i < space + 4; ++i)
      if (line[i] >= '0' && line[i] <= '9') received->status = received->status * 10 + (line[i] - '0');
    return size * count;
  }
  auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' '))
      value.remove_suffix(1);
    received->response.headers.Add(std::string(line.substr(0, colon)), std::string(value));
  }
  return size * count;
}

// host and port of a URL (for the per-host cap and address pinning).
std::optional<std::pair<std::string, std::string>> HostAndPort(const std::string& url) {
  CURLU* parsed = curl_url();
  std::optional<std::pair<std::string, std::string>> out;
  if (curl_url_set(parsed, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK) {
    char* host = nullptr;
    char* port = nullptr;
    if (curl_url_get(parsed, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
        curl_url_get(parsed, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK)
      out = std::pair{std::string(host), std::string(port)};
    curl_free(host);
    curl_free(port);
  }
  curl_url_cleanup(parsed);
  return out;
}

}  // namespace

std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value) {
  std::int64_t seconds = 0;
  auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (error == std::errc() && end == value.data() + value.size() && seconds >= 0)
    return std::chrono::milliseconds(seconds * 1000);
  std::tm tm{};
  std::string text(value);
  if (strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm) == nullptr) return std::nullopt;
  std::time_t at = timegm(&tm);
  std::time_t now = std::time(nullptr);
  return std::chrono::milliseconds(std::max<std::int64_t>(0, at - now) * 1000);
}

// The share handle: connection and DNS caches every request of this client uses, from any thread.
struct HttpClient::Curl {
  Curl() {
    InitCurlOnce();
    share = curl_share_init();
    curl_share_setopt(share, CURLSHOPT_LOCKFUNC, Lock);
    curl_share_setopt(share, CURLSHOPT_UNLOCKFUNC, Unlock);
    curl_share_setopt(share, CURLSHOPT_USERDATA, this);
    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  }
  ~Curl() { curl_share_cleanup(share); }

  static void Lock(CURL*, curl_lock_data data, curl_lock_access, void* user) {
    static_cast<Curl*>(user)->locks[static_cast<std::size_t>(data) % kLocks].lock();
  }
  static void Unlock(CURL*, curl_lock_data data, void* user) {
    static_cast<Curl*>(user)->locks[static_cast<std::size_t>(data) % kLocks].unlock();
  }

  static constexpr std::size_t kLocks = 8;
  CURLSH* share;
  std::array<std::mutex, kLocks> locks;
  std::mutex hosts_mutex;
  std::map<std::string, std::size_t, std::less<>> in_flight_by_host;
};

struct HttpClient::Instruments {
  Instruments(Metrics& metrics, const std::string& provider)
      : requests(
            prometheus::BuildCounter()
                .Name("keel_outbound_requests_total")
                .Help("Outbound HTTP attempts by provider and outcome (2xx, 4xx, 429, 5xx, timeout, error), "
                      "and refusals before sending (cap, breaker_open).")
                .Register(metrics.registry())),
        duration(prometheus::BuildHistogram()
                     .Name("keel_outbound_request_duration_seconds")
                     .Help("Time of each outbound HTTP attempt, by provider.")
                     .Register(metrics.registry())
                     .Add({{"provider", provider}},
                          prometheus::Histogram::BucketBoundaries{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
                                                                  30, 60})),
        in_flight(prometheus::BuildGauge()
                      .Name("keel_outbound_in_flight")
                      .Help("Outbound HTTP requests in flight, by provider.")
                      .Register(metrics.registry())
                      .Add({{"provider", provider}})),
        breaker(prometheus::BuildGauge()
                    .Name("keel_outbound_breaker_state")
                    .Help("The provider's circuit breaker: 0 closed, 1 half-open, 2 open.")
                    .Register(metrics.registry())
                    .Add({{"provider", provider}})),
        provider(provider) {}

  void Count(std::string_view outcome) {
    requests.Add({{"provider", provider}, {"outcome", std::string(outcome)}}).Increment();
  }

  prometheus::Family<prometheus::Counter>& requests;
  prometheus::Histogram& duration;
  prometheus::Gauge& in_flight;
  prometheus::Gauge& breaker;
  std::string provider;
};

HttpClient::HttpClient(HttpClientOptions options, Metrics& metrics)
    : options_(std::move(options)),
      curl_(std::make_unique<Curl>()),
      instruments_(std::make_unique<Instruments>(metrics, options_.provider)) {}

HttpClient::~HttpClient() = default;

BreakerState HttpClient::breaker() const {
  std::lock_guard lock(breaker_mutex_);
  if (state_ == BreakerState::kOpen && std::chrono::steady_clock::now() - opened_at_ >= options_.breaker_open)
    return BreakerState::kHalfOpen;
  return state_;
}

std::chrono::milliseconds HttpClient::RetryLater() const {
  std::lock_guard lock(breaker_mutex_);
  if (state_ != BreakerState::kOpen) return options_.backoff_base * 5;
  auto left = options_.breaker_open - std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::steady_clock::now() - opened_at_);
  return std::max(left, options_.backoff_base);
}

bool HttpClient::AdmitThroughBreaker() {
  std::lock_guard lock(breaker_mutex_);
  if (state_ == BreakerState::kClosed) return true;
  if (state_ == BreakerState::kOpen) {
    if (std::chrono::steady_clock::now() - opened_at_ < options_.breaker_open) return false;
    state_ = BreakerState::kHalfOpen;
    instruments_->breaker.Set(static_cast<double>(BreakerState::kHalfOpen));
  }
  if (trial_in_flight_) return false;  // half-open: one trial at a time
  trial_in_flight_ = true;
  return true;
}

void HttpClient::Record(bool failure) {
  std::lock_guard lock(breaker_mutex_);
  trial_in_flight_ = false;
  if (!failure) {
    failures_ = 0;
    state_ = BreakerState::kClosed;
  } else if (state_ == BreakerState::kHalfOpen || ++failures_ >= options_.breaker_failures) {
    state_ = BreakerState::kOpen;
    opened_at_ = std::chrono::steady_clock::now();
  }
  instruments_->breaker.Set(static_cast<double>(state_));
}

std::chrono::milliseconds HttpClient::Backoff(int attempt, const OutboundResponse* response) const {
  if (response != nullptr)
    if (auto after = response->headers.Get("Retry-After"))
      if (auto delay = ParseRetryAfter(*after)) return *delay;
  thread_local std::mt19937_64 random(std::random_device{}());
  auto ceiling = std::min(options_.backoff_max, options_.backoff_base * (1 << std::min(attempt, 16)));
  // Full jitter: anywhere up to the exponential ceiling, so clients retrying together spread out.
  std::uniform_int_distribution<std::int64_t> spread(ceiling.count() / 2, ceiling.count());
  return std::chrono::milliseconds(spread(random));
}

Result<OutboundResponse> HttpClient::Send(const OutboundRequest& request) {
  auto target = HostAndPort(request.url);
  if (!target) return Error{ErrorCode::kInvalidArgument, fmt::format("not a URL: {}", request.url)};
  const std::string host = target->first + ":" + target->second;
  if (in_flight_.fetch_add(1) >= options_.max_in_flight) {
    in_flight_.fetch_sub(1);
    instruments_->Count("cap");
    return Error{ErrorCode::kOverloaded,
                 fmt::format("{}: {} requests already in flight", options_.provider, options_.max_in_flight)};
  }
  {
    std::lock_guard lock(curl_->hosts_mutex);
    std::size_t& by_host = curl_->in_flight_by_host[host];
    if (by_host >= options_.max_per_host) {
      in_flight_.fetch_sub(1);
      instruments_->Count("cap");
      return Error{ErrorCode::kOverloaded, fmt::format("{}: {} requests already in flight to {}",
                                                       options_.provider, options_.max_per_host, host)};
    }
    ++by_host;
  }
  instruments_->in_flight.Increment();
  struct Release {
    HttpClient& client;
    const std::string& host;
    ~Release() {
      std::lock_guard lock(client.curl_->hosts_mutex);
      if (--client.curl_->in_flight_by_host[host] == 0) client.curl_->in_flight_by_host.erase(host);
      client.in_flight_.fetch_sub(1);
      client.instruments_->in_flight.Decrement();
    }
  } release{*this, host};

  for (int attempt = 1;; ++attempt) {
    if (!AdmitThroughBreaker()) {
      instruments_->Count("breaker_open");
      return Error{ErrorCode::kUnavailable,
                   fmt::format("{}: the circuit breaker is open", options_.provider)};
    }
    auto started = std::chrono::steady_clock::now();
    bool streamed = false;
    auto answer = Attempt(request, streamed);
    instruments_->duration.Observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    bool retryable;
    if (answer) {
      int status = answer->status;
      instruments_->Count(status == 429 ? "429" : fmt::format("{}xx", status / 100));
      retryable = status == 429 || status >= 500;
    } else {
      instruments_->Count(answer.error().code == ErrorCode::kTimeout ? "timeout" : "error");
      retryable =
          answer.error().code == ErrorCode::kTimeout || answer.error().code == ErrorCode::kUnavailable;
    }
    Record(retryable);
    if (!retryable || !request.retry || streamed || attempt >= options_.attempts) return answer;
    auto delay = Backoff(attempt, answer ? &*answer : nullptr);
    if (delay > options_.backoff_max) return answer;  // told to come back later than is worth waiting here
    std::this_thread::sleep_for(delay);
  }
}

Result<OutboundResponse> HttpClient::Attempt(const OutboundRequest& request, bool& streamed) {
  CURL* easy = curl_easy_init();
  if (easy == nullptr) return Error{ErrorCode::kInternal, "curl_easy_init failed"};
  Received received;
  received.on_body = &request.on_body;
  curl_slist* headers = nullptr;
  curl_slist* resolve = nullptr;
  for (const auto& [name, value] : request.headers)
    headers = curl_slist_append(headers, (name + ": " + value).c_str());
  headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip for request bodies
  if (!request.pinned_address.empty()) {
    if (auto target = HostAndPort(request.url)) {
      std::string address = request.pinned_address;
      if (address.find(':') != std::string::npos && !address.starts_with('[')) address = "[" + address + "]";
      resolve =
          curl_slist_append(resolve, fmt::format("{}:{}:{}", target->first, target->second, address).c_str());
    }
  }
  curl_easy_setopt(easy, CURLOPT_SHARE, curl_->share);
  curl_easy_setopt(easy, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  if (request.method == "HEAD") curl_easy_setopt(easy, CURLOPT_NOBODY, 1L);
  if (!request.body.empty() || request.method == "POST" || request.method == "PUT" ||
      request.method == "PATCH") {
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  }
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
  if (resolve != nullptr) curl_easy_setopt(easy, CURLOPT_RESOLVE, resolve);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &received);
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, &received);
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.total_timeout.count()));
  // The read time-out: less than a byte a second for this long ends the attempt.
  curl_easy_setopt(easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(easy, CURLOPT_LOW_SPEED_TIME,
                   std::max(1L, static_cast<long>(options_.read_timeout.count() / 1000)));
  curl_easy_setopt(easy, CURLOPT_DNS_CACHE_TIMEOUT, static_cast<long>(options_.dns_cache.count()));
  curl_easy_setopt(easy, CURLOPT_MAXCONNECTS, static_cast<long>(options_.max_connections));
  curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
  CURLcode code = curl_easy_perform(easy);
  long status = 0;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_cleanup(easy);
  curl_slist_free_all(headers);
  curl_slist_free_all(resolve);
  streamed = received.streamed;
  if (received.too_large)
    return Error{ErrorCode::kTooLarge,
                 fmt::format("{}: the answer is over {} bytes", options_.provider, kMaxResponseBytes)};
  switch (code) {
    case CURLE_OK:
      received.response.status = static_cast<int>(status);
      return std::move(received.response);
    case CURLE_OPERATION_TIMEDOUT:
      return Error{ErrorCode::kTimeout, fmt::format("{}: {} timed out", options_.provider, request.url)};
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return Error{ErrorCode::kInvalidArgument, fmt::format("{}: {}", request.url, curl_easy_strerror(code))};
    default:
      return Error{ErrorCode::kUnavailable, fmt::format("{}: {} failed: {}", options_.provider, request.url,
                                                        curl_easy_strerror(code))};
  }
}

}  // namespace keel::http
