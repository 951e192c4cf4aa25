// POST /api/v1/logs: events from an app's ingest key, checked against the app's current rules, stored by its
// mode (flag: every event in the log with its validity; block: the invalid ones kept aside in the failed
// events), committed before the answer, then counted for the dashboard's rollups and shown on the live view.
//
// Thread safety: Ingest from any IO thread.
#pragma once

#include <prometheus/counter.h>

#include "apps/validation/event_writer.hpp"
#include "apps/validation/ingest_targets.hpp"
#include "apps/validation/live_feed.hpp"
#include "apps/validation/rollup_counters.hpp"
#include "core/clock.hpp"
#include "core/metrics.hpp"
#include "http/message.hpp"

namespace keel::http {
class RateLimiter;
}

namespace keel::validation {

// The per-app rate-limit policy of ingestion (ValidationModule adds it to the rate limiter).
inline constexpr std::string_view kIngestRatePolicy = "ingest";

class IngestRoute {
 public:
  IngestRoute(IngestTargets& targets, EventWriter& writer, RollupCounters& counters, LiveFeed& live,
              const Clock& clock, http::RateLimiter* rate_limiter, Metrics& metrics);

  Task<http::Response> Ingest(http::Request& request);

 private:
  IngestTargets& targets_;
  EventWriter& writer_;
  RollupCounters& counters_;
  LiveFeed& live_;
  const Clock& clock_;
  http::RateLimiter* rate_limiter_;
  // keel_validation_events_total{outcome}: events stored valid, stored invalid (flagged), and kept aside.
  prometheus::Counter& valid_;
  prometheus::Counter& flagged_;
  prometheus::Counter& blocked_;
};

}  // namespace keel::validation
