// Operations endpoints: /health (liveness), /ready (dependencies, 503 while draining), /metrics (Prometheus).
#pragma once

#include "core/metrics.hpp"
#include "core/readiness.hpp"
#include "http/router.hpp"

namespace keel::http {

void AddOpsRoutes(Router& router, Metrics& metrics, const Readiness& readiness);

}  // namespace keel::http
