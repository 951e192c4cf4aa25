// The validation module's parts and their wiring: the ingest side (Ingestion), the routes (AppRoutes,
// EventRoutes, IngestRoute), the job kinds, and the background work a serving process starts.
#include "apps/validation/validation_module.hpp"

#include "apps/validation/app_routes.hpp"
#include "apps/validation/app_store.hpp"
#include "apps/validation/event_routes.hpp"
#include "apps/validation/event_writer.hpp"
#include "apps/validation/exports.hpp"
#include "apps/validation/ingest_route.hpp"
#include "apps/validation/ingest_targets.hpp"
#include "apps/validation/live_feed.hpp"
#include "apps/validation/maintenance.hpp"
#include "apps/validation/rollup_counters.hpp"
#include "apps/validation/rollup_flusher.hpp"
#include "apps/validation/validation_config.hpp"
#include "http/rate_limiter.hpp"
#include "http/router.hpp"

namespace keel::validation {

// Generated from the openapi.json beside this file.
std::string_view OpenApiPart();

// The ingest side: key lookups, the writer, this instance's rollup counts and their flusher.
class Ingestion {
 public:
  Ingestion(ModuleContext& context, const ValidationOptions& options)
      : targets(context.database(), context.pubsub(), context.clock(), context.metrics()),
        writer(context.database()),
        flusher(context.database(), counters, context.metrics()),
        live(context.pubsub(), context.clock(), options.live_events_per_second),
        route(targets, writer, counters, live, context.clock(), context.rate_limiter(), context.metrics()) {}

  IngestTargets targets;
  EventWriter writer;
  RollupCounters counters;
  RollupFlusher flusher;
  LiveFeed live;
  IngestRoute route;
};

ValidationModule::ValidationModule() = default;
ValidationModule::~ValidationModule() = default;

ConfigSchema ValidationModule::ConfigKeys() const { return validation::ConfigKeys(); }

std::string_view ValidationModule::OpenApi() const { return OpenApiPart(); }

std::vector<sql::Migration> ValidationModule::Migrations(std::string_view backend) const {
  return validation::Migrations(backend);
}

Result<void> ValidationModule::Register(ModuleContext& context) {
  auto options = ValidationOptions::Read(context.config());
  if (http::RateLimiter* limiter = context.rate_limiter())
    limiter->AddPolicy(
        std::string(kIngestRatePolicy),
        http::RatePolicy{options.ingest_per_minute, std::chrono::seconds(60), options.ingest_burst});
  ingestion_ = std::make_unique<Ingestion>(context, options);
  AddExportJob(context.database(), context.clock(), context.job_kinds());
  AddMaintenanceJobs(context.database(), context.jobs(), context.clock(), options.retention_days,
                     context.job_kinds());
  store_ = std::make_unique<AppStore>(context.database(), context.clock(), options.ingest_key_grace);
  apps_ = std::make_unique<AppRoutes>(*store_, ingestion_->targets);
  events_ = std::make_unique<EventRoutes>(*store_, context.database(), context.jobs(), context.pubsub(),
                                          context.clock(), context.metrics());
  http::Router& router = context.router();
  apps_->AddTo(router);
  events_->AddTo(router);
  IngestRoute* ingest = &ingestion_->route;
  // The ingest key is the credential (checked by the route, not the user authenticator), and the app's own
  // limit replaces the per-IP one: one sender's address may carry many apps' traffic.
  router.Add(
      "POST", "/api/v1/logs", [ingest](http::Request& q) { return ingest->Ingest(q); },
      http::RouteOptions{.body_limit = 1 << 20, .json_body = true, .rate_policy = ""});
  return Ok();
}

void ValidationModule::Start() {
  ingestion_->flusher.Start();
  ingestion_->live.Start();
}

void ValidationModule::Stop() {
  ingestion_->live.Stop();
  ingestion_->flusher.Stop();
}

}  // namespace keel::validation
