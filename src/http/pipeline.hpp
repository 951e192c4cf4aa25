// The request pipeline, as named stages in one place: request id -> CORS preflight -> route -> media type ->
// rate limit (per IP) -> authentication -> rate limit (per user) -> handler -> CORS headers -> compression ->
// metrics and access log.
//
// Thread safety: one Pipeline serves all IO threads; Handle and Finish may run concurrently.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/async.hpp"
#include "core/metrics.hpp"
#include "http/client_ip.hpp"
#include "http/cors.hpp"
#include "http/message.hpp"
#include "http/rate_limiter.hpp"
#include "http/router.hpp"

namespace keel::http {

// Checks a request's credentials (Authorization header) and says who made it; kUnauthenticated otherwise.
using Authenticator = std::function<Task<Result<Principal>>(const Request&)>;

struct PipelineOptions {
  std::size_t default_body_limit = 1 << 20;
  std::vector<std::string> cors_allowed_origins;
  int cors_max_age_s = 600;
  bool compression = true;
  std::size_t compression_min_bytes = 1024;
  int compression_level = 6;
  bool access_log = true;
  std::string instance_id;
  Authenticator authenticate;           // required when any route sets authenticated
  RateLimiter* rate_limiter = nullptr;  // null: rate limiting is off
  TrustedProxies trusted_proxies;
};

class Pipeline {
 public:
  Pipeline(const Router& router, PipelineOptions options, Metrics& metrics);

  // Matches the request's method and path. The server calls it once the head is read, to know the body limit.
  RouteMatch Route(const Request& request) const { return router_.Match(request.method, request.path); }
  std::size_t BodyLimit(const RouteMatch& match) const;

  // Runs every stage for a request whose head and body have been read.
  Task<Response> Handle(Request& request, RouteMatch match);

  // The closing stages, also for answers the server makes itself (400, 408, 413, 431): request id, CORS,
  // compression, metrics and the access log.
  Response Finish(Request& request, Response response);

  // Requests between arrival and response, across all IO threads.
  std::int64_t InFlight() const { return static_cast<std::int64_t>(in_flight_.Value()); }

 private:
  Task<Response> Dispatch(Request& request, RouteMatch& match);
  // The authentication stage: nothing when the request may go on, else the 401/403 answer.
  Task<std::optional<Response>> Authenticate(Request& request, const RouteOptions& options);
  // The rate-limit stage for one policy: keeps the tighter decision in `tightest`; the 429 answer when
  // denied.
  Task<std::optional<Response>> Limit(std::string_view policy, std::string_view subject,
                                      std::optional<RateDecision>& tightest);
  void AssignRequestId(Request& request) const;
  void Compress(const Request& request, Response& response) const;
  void Record(const Request& request, const Response& response);

  const std::uint64_t id_;  // keys the per-thread metric caches
  const Router& router_;
  const std::string server_methods_;  // the Allow of OPTIONS *
  const PipelineOptions options_;
  const CorsPolicy cors_;
  prometheus::Family<prometheus::Counter>& requests_total_;
  prometheus::Family<prometheus::Histogram>& request_duration_;
  prometheus::Gauge& in_flight_;
};

}  // namespace keel::http
