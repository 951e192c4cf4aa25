// Diagnostic routes under /api/v1/debug, served only when debug.routes = true: they let the end-to-end tests
// make a request slow, failing, blocking or echoing. Never enable them in production.
#pragma once

#include "core/blocking_pool.hpp"
#include "http/router.hpp"

namespace keel::http {

void AddDebugRoutes(Router& router, BlockingPool& pool);

}  // namespace keel::http
