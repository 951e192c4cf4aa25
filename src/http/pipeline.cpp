// The pipeline's stages; Handle reads top-down in the order requests go through them.
#include "http/pipeline.hpp"

#include <algorithm>
#include <exception>
#include <random>
#include <unordered_map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/log.hpp"
#include "http/client_ip.hpp"
#include "http/compression.hpp"
#include "http/problem.hpp"

namespace keel::http {
namespace {

const std::vector<double> kDurationBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                              0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};

// The methods HTTP defines (RFC 9110 §9, and PATCH).
constexpr std::string_view kDefinedMethods[] = {"GET",     "HEAD",    "POST",  "PUT",  "DELETE",
                                                "CONNECT", "OPTIONS", "TRACE", "PATCH"};

bool KnownMethod(std::string_view method) {
  return std::find(std::begin(kDefinedMethods), std::end(kDefinedMethods), method) !=
         std::end(kDefinedMethods);
}

// Metric labels must come from a closed set: other methods are folded into OTHER.
std::string_view MethodLabel(std::string_view method) {
  auto known = std::find(std::begin(kDefinedMethods), std::end(kDefinedMethods), method);
  return known == std::end(kDefinedMethods) ? "OTHER" : *known;
}

bool ValidRequestId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
              c == '_' || c == '.' || c == ':';
    if (!ok) return false;
  }
  return true;
}

std::string NewRequestId() {
  thread_local std::mt19937_64 random{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(32, '0');
  for (int half = 0; half < 2; ++half) {
    auto bits = random();
    for (int i = 0; i < 16; ++i) id[half * 16 + i] = kHex[(bits >> (i * 4)) & 0xf];
  }
  return id;
}

// Per-thread caches of labelled metrics: Family::Add takes a lock and hashes labels, so do it once per label
// set.
struct MetricKey {
  std::uint64_t pipeline;  // Pipeline::id_: unique for the process's life, unlike an address
  const char* method;
  const char* route;
  int status;
  bool operator==(const MetricKey&) const = default;
};
struct MetricKeyHash {
  std::size_t operator()(const MetricKey& k) const {
    auto h = std::hash<std::uint64_t>()(k.pipeline) ^ (std::hash<const void*>()(k.method) << 1);
    h ^= std::hash<const void*>()(k.route) << 2;
    return h ^ (static_cast<std::size_t>(k.status) << 3);
  }
};

// "GET, HEAD, POST, ..., OPTIONS": every method some route takes, for OPTIONS *.
std::string ServerMethods(const Router& router) {
  std::vector<std::string_view> methods = {"GET", "HEAD"};
  for (const Route* route : router.Routes())
    if (route->method != "OPTIONS" &&
        std::find(methods.begin(), methods.end(), route->method) == methods.end())
      methods.push_back(route->method);
  methods.push_back("OPTIONS");
  return fmt::format("{}", fmt::join(methods, ", "));
}

std::uint64_t NextPipelineId() {
  static std::atomic<std::uint64_t> next{1};
  return next.fetch_add(1);
}

}  // namespace

Pipeline::Pipeline(const Router& router, PipelineOptions options, Metrics& metrics)
    : id_(NextPipelineId()),
      router_(router),
      server_methods_(ServerMethods(router)),
      options_(std::move(options)),
      cors_(options_.cors_allowed_origins, options_.cors_max_age_s),
      requests_total_(prometheus::BuildCounter()
                          .Name("keel_http_requests_total")
                          .Help("HTTP requests answered, by method, route template and status.")
                          .Register(metrics.registry())),
      request_duration_(prometheus::BuildHistogram()
                            .Name("keel_http_request_duration_seconds")
                            .Help("Time from a request's arrival to its response, by route template.")
                            .Register(metrics.registry())),
      in_flight_(prometheus::BuildGauge()
                     .Name("keel_http_requests_in_flight")
                     .Help("Requests received and not yet answered.")
                     .Register(metrics.registry())
                     .Add({})) {}

std::size_t Pipeline::BodyLimit(const RouteMatch& match) const {
  if (match.route != nullptr && match.route->options.body_limit != 0) return match.route->options.body_limit;
  return options_.default_body_limit;
}

Task<Response> Pipeline::Handle(Request& request, RouteMatch match) {
  in_flight_.Increment();
  AssignRequestId(request);
  request.client_ip = ClientIp(request, options_.trusted_proxies);
  Response response = co_await Dispatch(request, match);
  in_flight_.Decrement();
  // A streamed body that failed is answered (and counted) by the server with the body's own refusal.
  if (request.body_stream != nullptr && request.body_stream->Failed()) co_return response;
  co_return Finish(request, std::move(response));
}

Task<Response> Pipeline::Dispatch(Request& request, RouteMatch& match) {
  // A method HTTP does not define (or in lower case: methods are case-sensitive) is one this server does
  // not implement (RFC 9110 §9.1); a defined one a route does not take is 405.
  if (!KnownMethod(request.method))
    co_return Problem(501, "the method " + request.method + " is not implemented");
  if (!match.pattern.empty()) request.route = match.pattern;  // preflights and 405s are counted by route too
  if (request.path == "*") {  // OPTIONS * (the reader lets no other method through): the server's methods
    request.route = "*";
    Response response = Response::Empty(204);
    response.headers.Add("Allow", server_methods_);
    co_return response;
  }
  if (CorsPolicy::IsPreflight(request) && match.kind != RouteMatch::Kind::kFound) {
    if (match.kind == RouteMatch::Kind::kNotFound) co_return Problem(404, "no route for " + request.path);
    co_return cors_.Preflight(request, match.allow);
  }
  if (match.kind == RouteMatch::Kind::kNotFound) co_return Problem(404, "no route for " + request.path);
  if (match.kind == RouteMatch::Kind::kMethodNotAllowed) {
    if (request.method == "OPTIONS") {
      Response response = Response::Empty(204);
      response.headers.Add("Allow", match.allow);
      co_return response;
    }
    Response response = Problem(405, request.method + " is not allowed on " + request.path);
    response.headers.Add("Allow", match.allow);
    co_return response;
  }
  const ::keel::http::Route& route = *match.route;
  if (route.options.json_body && !request.body.empty() &&
      !IsJsonMediaType(request.headers.Get("Content-Type").value_or(""))) {
    co_return Problem(415, "this route takes a JSON body (Content-Type: application/json)");
  }
  for (auto& [name, value] : match.params) request.params.Add(name, std::move(value));

  std::optional<RateDecision> tightest;
  if (!route.options.rate_policy.empty()) {
    if (auto refused = co_await Limit(route.options.rate_policy, request.client_ip, tightest))
      co_return std::move(*refused);
  }
  if (route.options.authenticated || route.options.admin_only) {
    if (auto refused = co_await Authenticate(request, route.options)) co_return std::move(*refused);
    if (auto refused = co_await Limit("user", request.principal->rate_key, tightest))
      co_return std::move(*refused);
  }

  Response response;
  std::string failure;
  try {
    response = co_await route.handler(request);
  } catch (const std::exception& e) {
    failure = e.what();
  } catch (...) {
    failure = "unknown exception";
  }
  if (!failure.empty()) {
    log::Error("handler failed", log::Fields()
                                     .Add("request_id", request.request_id)
                                     .Add("route", request.route)
                                     .Add("error", failure));
    response = Problem(500, "internal error; the request id identifies it in the server log");
  }
  // A handler's own 429 (a per-account limit) speaks of the limit that refused it, not of this one.
  if (tightest && response.status != 429) RateLimiter::AddHeaders(*tightest, response);
  co_return response;
}

Task<std::optional<Response>> Pipeline::Limit(std::string_view policy, std::string_view subject,
                                              std::optional<RateDecision>& tightest) {
  if (options_.rate_limiter == nullptr) co_return std::nullopt;
  auto decision = co_await options_.rate_limiter->Check(policy, subject);
  if (!decision) co_return std::nullopt;
  if (!decision->allowed) {
    Response response =
        Problem(429, fmt::format("rate limit exceeded ({} requests per policy window, policy {})",
                                 decision->limit, policy));
    RateLimiter::AddHeaders(*decision, response);
    co_return response;
  }
  if (!tightest || decision->remaining < tightest->remaining) tightest = decision;
  co_return std::nullopt;
}

Task<std::optional<Response>> Pipeline::Authenticate(Request& request, const RouteOptions& options) {
  if (!options_.authenticate)
    co_return Problem(500, "this route needs authentication but none is configured");
  auto principal = co_await options_.authenticate(request);
  if (!principal) {
    if (principal.error().code != ErrorCode::kUnauthenticated) co_return ProblemFrom(principal.error());
    log::Debug("authentication failed",
               log::Fields().Add("request_id", request.request_id).Add("reason", principal.error().message));
    // One answer for every kind of bad credential, so a client learns nothing about which check failed.
    Response response = Problem(401, "missing, invalid or expired bearer credentials");
    response.headers.Add("WWW-Authenticate", "Bearer");
    co_return response;
  }
  if (options.admin_only && principal->role != "admin")
    co_return Problem(403, "this route is for administrators");
  if (!options.scope.empty() && !principal->HasScope(options.scope))
    co_return Problem(403, fmt::format("this API key lacks the scope '{}' this route needs", options.scope));
  request.principal = std::move(principal).value();
  co_return std::nullopt;
}

Response Pipeline::Finish(Request& request, Response response) {
  if (request.request_id.empty()) AssignRequestId(request);
  if (!response.internal_error.empty())  // whichever stage failed: the handler, authentication
    log::Error("request failed", log::Fields()
                                     .Add("request_id", request.request_id)
                                     .Add("route", request.route)
                                     .Add("error", response.internal_error));
  cors_.Decorate(request, response);
  Compress(request, response);
  response.headers.Add("X-Request-ID", request.request_id);
  if (!options_.instance_id.empty()) response.headers.Add("X-Keel-Instance", options_.instance_id);
  Record(request, response);
  return response;
}

void Pipeline::AssignRequestId(Request& request) const {
  auto given = request.headers.Get("X-Request-ID");
  request.request_id = given && ValidRequestId(*given) ? std::string(*given) : NewRequestId();
}

void Pipeline::Compress(const Request& request, Response& response) const {
  if (!options_.compression || response.body.size() < options_.compression_min_bytes) return;
  if (response.status == 204 || response.status == 304 || response.headers.Has("Content-Encoding")) return;
  if (!Compressible(response.headers.Get("Content-Type").value_or(""))) return;
  response.headers.Add("Vary", "Accept-Encoding");
  if (!AcceptsGzip(request.headers.Get("Accept-Encoding").value_or(""))) return;
  std::string compressed = Gzip(response.body, options_.compression_level);
  if (compressed.empty() || compressed.size() >= response.body.size()) return;
  response.body = std::move(compressed);
  response.headers.Add("Content-Encoding", "gzip");
}

void Pipeline::Record(const Request& request, const Response& response) {
  auto method = MethodLabel(request.method);
  double seconds =
      request.received_at.time_since_epoch().count() == 0
          ? 0.0
          : std::chrono::duration<double>(std::chrono::steady_clock::now() - request.received_at).count();

  thread_local std::unordered_map<MetricKey, prometheus::Counter*, MetricKeyHash> counters;
  thread_local std::unordered_map<MetricKey, prometheus::Histogram*, MetricKeyHash> histograms;
  MetricKey counter_key{id_, method.data(), request.route.data(), response.status};
  auto counter = counters.find(counter_key);
  if (counter == counters.end()) {
    auto& c = requests_total_.Add({{"method", std::string(method)},
                                   {"route", std::string(request.route)},
                                   {"status", std::to_string(response.status)}});
    counter = counters.emplace(counter_key, &c).first;
  }
  counter->second->Increment();
  MetricKey histogram_key{id_, nullptr, request.route.data(), 0};
  auto histogram = histograms.find(histogram_key);
  if (histogram == histograms.end()) {
    auto& h = request_duration_.Add({{"route", std::string(request.route)}}, kDurationBuckets);
    histogram = histograms.emplace(histogram_key, &h).first;
  }
  histogram->second->Observe(seconds);

  if (!options_.access_log || !log::Enabled(log::Level::kInfo)) return;
  // One Fields per thread, reused: the access log's line allocates nothing.
  thread_local log::Fields access;
  access.Clear();
  log::Info("request",
            access.Add("request_id", request.request_id)
                .Add("method", request.method)
                .Add("route", request.route)
                .Add("path", request.path)
                .Add("status", response.status)
                .Add("duration_ms", seconds * 1000.0)
                .Add("bytes", static_cast<std::uint64_t>(response.body.size()))
                .Add("client_ip", request.client_ip.empty() ? request.remote_address : request.client_ip));
}

}  // namespace keel::http
