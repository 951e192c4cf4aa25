// Operations endpoints: /health (liveness), /ready (dependencies, 503 while draining), /metrics (Prometheus),
// and the API description at /api/v1/openapi.json.
#pragma once

#include <memory>
#include <string>

#include "core/metrics.hpp"
#include "core/readiness.hpp"
#include "http/router.hpp"

namespace keel::http {

// `openapi` is the served OpenAPI document (http/openapi_document.hpp); null: the route is not added (a
// worker's ops port).
void AddOpsRoutes(Router& router, Metrics& metrics, const Readiness& readiness,
                  std::shared_ptr<const std::string> openapi);

}  // namespace keel::http
