// Handlers of the operations endpoints.
#include "http/ops_routes.hpp"

#include <nlohmann/json.hpp>

#include "http/metrics_summary.hpp"
#include "http/problem.hpp"

namespace keel::http {
namespace {

Task<Response> Health(Request&) { co_return Response::Json(200, R"({"status":"healthy"})"); }

Task<Response> Ready(const Readiness& readiness) {
  Readiness::Report report = co_await readiness.Evaluate();
  nlohmann::ordered_json checks = nlohmann::ordered_json::object();
  std::string failing;
  for (const auto& [name, state] : report.checks) {
    checks[name] = state;
    if (state != "ok") failing += (failing.empty() ? "" : ", ") + name + " " + state;
  }
  nlohmann::ordered_json nodes = nlohmann::ordered_json::object();
  for (const auto& [name, states] : report.nodes) {
    nlohmann::ordered_json servers = nlohmann::ordered_json::object();
    for (const auto& [server, state] : states) servers[server] = state;
    nodes[name] = std::move(servers);
  }
  if (report.ready) {
    nlohmann::ordered_json body = {{"status", report.degraded ? "degraded" : "ready"}, {"checks", checks}};
    if (!nodes.empty()) body["nodes"] = nodes;
    co_return Response::Json(200, body.dump());
  }
  std::string detail = report.draining ? "draining: the server is shutting down" : "not ready: " + failing;
  Response response = Problem(503, detail);
  // The problem document carries the per-check states as extension members.
  auto body = nlohmann::ordered_json::parse(response.body);
  body["state"] = report.draining ? "draining" : "not_ready";
  body["checks"] = checks;
  if (!nodes.empty()) body["nodes"] = nodes;
  response.body = body.dump();
  co_return response;
}

// Whether the client asks for JSON rather than Prometheus's text.
bool WantsJson(const Request& request) {
  auto accept = request.headers.Get("Accept");
  return accept && accept->find("application/json") != std::string_view::npos;
}

std::string CacheStatsDocument(const CacheCatalog& caches) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  for (const auto& [name, stats] : caches.Read()) {
    const std::uint64_t lookups = stats.hits + stats.misses;
    out[name] = {
        {"hits", stats.hits},
        {"misses", stats.misses},
        {"hit_ratio", lookups > 0 ? static_cast<double>(stats.hits) / static_cast<double>(lookups) : 0.0},
        {"entries", stats.entries},
        {"bytes", stats.bytes},
        {"evictions", stats.evictions}};
  }
  return nlohmann::ordered_json{{"caches", std::move(out)}}.dump();
}

}  // namespace

void AddOpsRoutes(Router& router, Metrics& metrics, const Readiness& readiness,
                  std::shared_ptr<const std::string> openapi, const CacheCatalog* caches) {
  // Probes and scrapes come from the platform, often from one address; they are never rate limited.
  const RouteOptions ops{.rate_policy = ""};
  router.Add("GET", "/health", Health, ops);
  router.Add("GET", "/api/v1/health", Health, ops);
  auto ready = [&readiness](Request&) { return Ready(readiness); };
  router.Add("GET", "/ready", ready, ops);
  router.Add("GET", "/api/v1/health/ready", ready, ops);
  auto summary = std::make_shared<MetricsSummary>();
  router.Add(
      "GET", "/metrics",
      [&metrics, summary](Request& request) -> Task<Response> {
        if (WantsJson(request)) co_return Response::Json(200, summary->Summarize(metrics.Collect()).dump());
        co_return Response::Text(200, metrics.Serialize(), "text/plain; version=0.0.4; charset=utf-8");
      },
      ops);
  if (caches)
    router.Add(
        "GET", "/cache-stats",
        [caches](Request&) -> Task<Response> { co_return Response::Json(200, CacheStatsDocument(*caches)); },
        ops);
  if (openapi)
    router.Add("GET", "/api/v1/openapi.json",
               [openapi](Request&) -> Task<Response> { co_return Response::Json(200, *openapi); });
}

}  // namespace keel::http
