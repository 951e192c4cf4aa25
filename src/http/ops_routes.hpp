// Operations endpoints: /health (liveness), /ready (dependencies, 503 while draining), /metrics (Prometheus
// text; a JSON summary with Accept: application/json), /cache-stats, and the API description at
// /api/v1/openapi.json.
#pragma once

#include <memory>
#include <string>

#include "core/cache_catalog.hpp"
#include "core/metrics.hpp"
#include "core/readiness.hpp"
#include "http/router.hpp"

namespace keel::http {

// `openapi` is the served OpenAPI document (http/openapi_document.hpp) and `caches` the caches /cache-stats
// reports; null: the route is not added (a worker's ops port).
void AddOpsRoutes(Router& router, Metrics& metrics, const Readiness& readiness,
                  std::shared_ptr<const std::string> openapi, const CacheCatalog* caches);

}  // namespace keel::http
