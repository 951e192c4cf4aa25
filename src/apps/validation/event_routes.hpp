// The routes that read what apps received and start work on it: an app's logs and failed events, its
// dashboard and every app's (/api/v1/dashboard), its live stream, and exports with their downloads. Each
// checks that the app (or export) is the caller's.
//
// Thread safety: handlers run on any IO thread.
#pragma once

#include "apps/validation/app_store.hpp"
#include "apps/validation/dashboard.hpp"
#include "apps/validation/exports.hpp"
#include "apps/validation/log_reader.hpp"
#include "http/router.hpp"
#include "storage/pubsub/pubsub.hpp"

namespace keel::validation {

class EventRoutes {
 public:
  EventRoutes(AppStore& apps, sql::Database& db, jobs::JobQueue& jobs, pubsub::PubSub& pubsub,
              const Clock& clock, Metrics& metrics)
      : apps_(apps), exports_(db, jobs, clock), pubsub_(pubsub), logs_(db), dashboards_(db, clock, metrics) {}

  // Adds the routes; they call into this object, which outlives the router's use of them.
  void AddTo(http::Router& router);

 private:
  Task<http::Response> Logs(http::Request& request);
  Task<http::Response> Failed(http::Request& request);
  Task<http::Response> AppDashboard(http::Request& request);
  Task<http::Response> Live(http::Request& request);
  Task<http::Response> StartExport(http::Request& request);
  Task<http::Response> GetExport(http::Request& request);
  Task<http::Response> DownloadExport(http::Request& request);
  Task<http::Response> Overview(http::Request& request);
  Task<http::Response> ReadEvents(http::Request& request, bool failed);

  AppStore& apps_;  // for the ownership checks
  Exports exports_;
  pubsub::PubSub& pubsub_;
  LogReader logs_;
  Dashboards dashboards_;
};

}  // namespace keel::validation
