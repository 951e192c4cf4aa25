// Operations endpoints: /health (liveness), /ready (dependencies, 503 while draining), /metrics (Prometheus),
// and the API description at /api/v1/openapi.json.
#pragma once

#include <string_view>

#include "core/metrics.hpp"
#include "core/readiness.hpp"
#include "http/router.hpp"

namespace keel::http {

// The OpenAPI 3.1 document of every route (api/openapi.json, compiled in).
std::string_view OpenApiDocument();

void AddOpsRoutes(Router& router, Metrics& metrics, const Readiness& readiness);

}  // namespace keel::http
