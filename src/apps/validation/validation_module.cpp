// Handlers of /api/v1/apps (apps, ingest keys, rules versions, an app's logs and dashboard) and of
// /api/v1/dashboard; the module's parts and their wiring. Input is checked here, SQL is in the stores.
#include "apps/validation/validation_module.hpp"

#include <charconv>

#include <fmt/format.h>
#include <boost/asio/this_coro.hpp>
#include <nlohmann/json.hpp>

#include "apps/validation/app_store.hpp"
#include "apps/validation/dashboard.hpp"
#include "apps/validation/event_writer.hpp"
#include "apps/validation/exports.hpp"
#include "apps/validation/ingest_route.hpp"
#include "apps/validation/ingest_targets.hpp"
#include "apps/validation/live_feed.hpp"
#include "apps/validation/log_reader.hpp"
#include "apps/validation/maintenance.hpp"
#include "apps/validation/rollup_counters.hpp"
#include "apps/validation/rollup_flusher.hpp"
#include "apps/validation/rule_set.hpp"
#include "apps/validation/validation_config.hpp"
#include "core/rfc3339.hpp"
#include "http/json_body.hpp"
#include "http/json_fields.hpp"
#include "http/pagination.hpp"
#include "http/problem.hpp"
#include "http/rate_limiter.hpp"
#include "http/router.hpp"
#include "jobs/job_queue.hpp"
#include "storage/pubsub/pubsub.hpp"

namespace keel::validation {

// Generated from the openapi.json beside this file.
std::string_view OpenApiPart();

namespace {

using http::Request;
using http::Response;
using Json = nlohmann::ordered_json;

constexpr std::string_view kCollection = "/api/v1/apps";

std::string AppId(const Request& request) { return std::string(*request.params.Get("app_id")); }

// The body of POST (name required) and PATCH /api/v1/apps: {"name", "mode"}.
struct AppInput {
  std::optional<std::string> name;
  std::optional<std::string> mode;
};

std::variant<AppInput, Response> ReadAppInput(const Request& request, bool creating) {
  http::JsonFields fields(request.body);
  fields.RejectUnknown({"name", "mode"});
  AppInput input{fields.String("name", 1, 100, creating, true), fields.String("mode", 1, 10, false)};
  if (input.mode && *input.mode != "flag" && *input.mode != "block")
    fields.AddError("mode", "must be flag or block");
  if (!fields.ok()) return fields.Problem();
  return input;
}

Json PageJson(Json items, const http::Pagination& page, std::int64_t total) {
  return Json{
      {"items", std::move(items)}, {"page", page.page}, {"per_page", page.per_page}, {"total", total}};
}

// {"version", "created_at", "events", "unplanned"}: a stored version as clients read it.
Json RulesJson(const RulesVersion& rules) {
  Json body = Json::parse(rules.body);
  Json json = {{"version", rules.version}, {"created_at", rules.created_at}};
  json["events"] = body.contains("events") ? body["events"] : Json::object();
  json["unplanned"] = body.contains("unplanned") ? body["unplanned"] : Json("allow");
  return json;
}

// A version in a list: the event names its schemas cover, not the schemas.
Json RulesSummaryJson(const RulesVersion& rules) {
  Json full = RulesJson(rules);
  Json names = Json::array();
  for (const auto& [name, schema] : full["events"].items()) names.push_back(name);
  full["events"] = std::move(names);
  return full;
}

// `window` of a dashboard request (default 1h); nullopt after a 422.
std::variant<DashboardWindow, Response> ReadWindow(const Request& request) {
  auto name = request.QueryParam("window").value_or("1h");
  auto window = FindWindow(name);
  if (!window) return http::InvalidFieldsProblem({{"window", "must be one of 15m, 1h, 24h, 7d"}});
  return *window;
}

// The body of POST /api/v1/apps/{app_id}/exports: {"format", "since"?, "until"?}.
struct ExportInput {
  ExportFormat format = ExportFormat::kNdjson;
  std::optional<std::int64_t> since_ms;
  std::optional<std::int64_t> until_ms;
};

std::variant<ExportInput, Response> ReadExportInput(const Request& request) {
  http::JsonFields fields(request.body);
  fields.RejectUnknown({"format", "since", "until"});
  ExportInput input;
  auto format = fields.String("format", 1, 10, /*required=*/true);
  if (format) {
    if (auto parsed = ParseExportFormat(*format))
      input.format = *parsed;
    else
      fields.AddError("format", "must be csv or ndjson");
  }
  auto time = [&fields](const char* name) -> std::optional<std::int64_t> {
    auto text = fields.String(name, 1, 64, /*required=*/false);
    if (!text) return std::nullopt;
    auto ms = ParseRfc3339(*text);
    if (!ms) fields.AddError(name, "must be an RFC 3339 time, like 2026-12-02T10:00:00Z");
    return ms;
  };
  input.since_ms = time("since");
  input.until_ms = time("until");
  if (input.since_ms && input.until_ms && *input.since_ms >= *input.until_ms)
    fields.AddError("until", "must be after since");
  if (!fields.ok()) return fields.Problem();
  return input;
}

// Streams a ready export's chunks, one query per chunk.
class ExportDownload {
 public:
  ExportDownload(Exports& exports, std::string id) : exports_(exports), id_(std::move(id)) {}

  Task<std::optional<std::string>> Next() {
    auto chunk = co_await exports_.Chunk(id_, next_++);
    // A chunk that cannot be read ends the body early; the client sees fewer bytes than the export's `bytes`.
    if (!chunk) co_return std::nullopt;
    co_return std::move(chunk).value();
  }

 private:
  Exports& exports_;
  std::string id_;
  std::int64_t next_ = 0;
};

}  // namespace

// The ingest side: key lookups, the writer, this instance's rollup counts and their flusher.
class Ingestion {
 public:
  Ingestion(ModuleContext& context, const ValidationOptions& options)
      : targets(context.database(), context.pubsub(), context.clock(), context.metrics()),
        writer(context.database()),
        flusher(context.database(), counters, context.metrics()),
        live(context.pubsub(), context.clock(), options.live_events_per_second),
        route(targets, writer, counters, live, context.clock(), context.rate_limiter()) {}

  IngestTargets targets;
  EventWriter writer;
  RollupCounters counters;
  RollupFlusher flusher;
  LiveFeed live;
  IngestRoute route;
};

class AppRoutes {
 public:
  AppRoutes(ModuleContext& context, const ValidationOptions& options, IngestTargets& targets)
      : store_(context.database(), context.clock(), options.ingest_key_grace),
        exports_(context.database(), context.jobs(), context.clock()),
        targets_(targets),
        pubsub_(context.pubsub()),
        logs_(context.database()),
        dashboards_(context.database(), context.clock(), context.metrics()) {}

  Task<Response> Create(Request& request) {
    auto input = ReadAppInput(request, /*creating=*/true);
    if (auto* invalid = std::get_if<Response>(&input)) co_return std::move(*invalid);
    AppInput& app = std::get<AppInput>(input);
    std::string mode = app.mode.value_or("flag");
    auto created = co_await store_.Create(request.principal->subject, std::move(*app.name), std::move(mode));
    if (!created) co_return http::ProblemFrom(created.error());
    Response response = Response::Json(201, AppJson(created->first, created->second).dump());
    response.headers.Add("Location", fmt::format("{}/{}", kCollection, created->first.id));
    co_return response;
  }

  Task<Response> List(Request& request) {
    std::vector<http::FieldError> errors;
    auto page = http::ParsePagination(request, errors);
    if (!errors.empty()) co_return http::InvalidFieldsProblem(errors);
    auto apps = co_await store_.List(request.principal->subject, page.page, page.per_page);
    if (!apps) co_return http::ProblemFrom(apps.error());
    Json items = Json::array();
    for (const auto& app : apps->items) items.push_back(AppJson(app));
    co_return Response::Json(200, PageJson(std::move(items), page, apps->total).dump());
  }

  Task<Response> Get(Request& request) {
    auto app = co_await store_.Find(request.principal->subject, AppId(request));
    if (!app) co_return http::ProblemFrom(app.error());
    co_return Response::Json(200, AppJson(*app).dump());
  }

  Task<Response> Patch(Request& request) {
    auto input = ReadAppInput(request, /*creating=*/false);
    if (auto* invalid = std::get_if<Response>(&input)) co_return std::move(*invalid);
    AppInput& change = std::get<AppInput>(input);
    auto app = co_await store_.Update(request.principal->subject, AppId(request), std::move(change.name),
                                      std::move(change.mode));
    if (!app) co_return http::ProblemFrom(app.error());
    targets_.Changed(app->id);
    co_return Response::Json(200, AppJson(*app).dump());
  }

  Task<Response> Delete(Request& request) {
    auto deleted = co_await store_.Delete(request.principal->subject, AppId(request));
    if (!deleted) co_return http::ProblemFrom(deleted.error());
    targets_.Changed(AppId(request));
    co_return Response::Empty(204);
  }

  Task<Response> RotateKey(Request& request) {
    auto issued = co_await store_.RotateKey(request.principal->subject, AppId(request));
    if (!issued) co_return http::ProblemFrom(issued.error());
    targets_.Changed(AppId(request));
    Json body = {{"ingest_key", issued->key}};
    body["previous_key_expires_at"] =
        issued->previous_expires_at ? Json(*issued->previous_expires_at) : nullptr;
    co_return Response::Json(201, body.dump());
  }

  Task<Response> PutRules(Request& request) {
    auto parsed = http::ParseJsonBody(request.body);
    if (parsed.malformed || !parsed.errors.empty())
      co_return http::InputProblem{parsed.malformed, parsed.errors}.ToResponse();
    auto compiled = RuleSet::Compile(parsed.value);
    if (auto* errors = std::get_if<std::vector<http::FieldError>>(&compiled))
      co_return http::InvalidFieldsProblem(*errors);
    std::string body = parsed.value.dump();
    auto stored = co_await store_.PutRules(request.principal->subject, AppId(request), std::move(body));
    if (!stored) co_return http::ProblemFrom(stored.error());
    targets_.Changed(AppId(request));
    Response response = Response::Json(201, RulesJson(*stored).dump());
    response.headers.Add(
        "Location", fmt::format("{}/{}/rules/versions/{}", kCollection, AppId(request), stored->version));
    co_return response;
  }

  Task<Response> GetRules(Request& request) {
    auto rules = co_await store_.CurrentRules(request.principal->subject, AppId(request));
    if (!rules) co_return http::ProblemFrom(rules.error());
    co_return Response::Json(200, RulesJson(*rules).dump());
  }

  Task<Response> ListRules(Request& request) {
    std::vector<http::FieldError> errors;
    auto page = http::ParsePagination(request, errors);
    if (!errors.empty()) co_return http::InvalidFieldsProblem(errors);
    auto versions =
        co_await store_.ListRules(request.principal->subject, AppId(request), page.page, page.per_page);
    if (!versions) co_return http::ProblemFrom(versions.error());
    Json items = Json::array();
    for (const auto& version : versions->items) items.push_back(RulesSummaryJson(version));
    co_return Response::Json(200, PageJson(std::move(items), page, versions->total).dump());
  }

  Task<Response> GetRulesVersion(Request& request) {
    std::string_view text = *request.params.Get("version");
    std::int64_t version = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), version);
    if (error != std::errc() || end != text.data() + text.size() || version < 1)
      co_return http::ProblemFrom(Error{ErrorCode::kNotFound, "versions are numbered from 1"});
    auto rules = co_await store_.RulesAt(request.principal->subject, AppId(request), version);
    if (!rules) co_return http::ProblemFrom(rules.error());
    co_return Response::Json(200, RulesJson(*rules).dump());
  }

  Task<Response> Logs(Request& request) { co_return co_await ReadEvents(request, /*failed=*/false); }
  Task<Response> Failed(Request& request) { co_return co_await ReadEvents(request, /*failed=*/true); }

  Task<Response> AppDashboard(Request& request) {
    auto window = ReadWindow(request);
    if (auto* invalid = std::get_if<Response>(&window)) co_return std::move(*invalid);
    auto app = co_await store_.Find(request.principal->subject, AppId(request));
    if (!app) co_return http::ProblemFrom(app.error());
    auto json =
        co_await dashboards_.ForApp(request.principal->subject, app->id, std::get<DashboardWindow>(window));
    if (!json) co_return http::ProblemFrom(json.error());
    co_return Response::Json(200, std::move(json).value());
  }

  Task<Response> Live(Request& request) {
    auto app = co_await store_.Find(request.principal->subject, AppId(request));
    if (!app) co_return http::ProblemFrom(app.error());
    boost::asio::any_io_executor executor = co_await boost::asio::this_coro::executor;
    auto stream = LiveStream::Open(pubsub_, app->id, executor);
    Response response;
    response.status = 200;
    response.headers.Add("Content-Type", "text/event-stream");
    response.headers.Add("Cache-Control", "no-store");
    response.headers.Add("X-Accel-Buffering", "no");  // nginx: pass events through as they come
    response.stream = [stream]() { return stream->Next(); };
    co_return response;
  }

  Task<Response> StartExport(Request& request) {
    auto input = ReadExportInput(request);
    if (auto* invalid = std::get_if<Response>(&input)) co_return std::move(*invalid);
    const ExportInput& wanted = std::get<ExportInput>(input);
    auto started = co_await exports_.Start(request.principal->subject, AppId(request), wanted.format,
                                           wanted.since_ms, wanted.until_ms);
    if (!started) co_return http::ProblemFrom(started.error());
    Response response = Response::Json(202, ExportJson(*started).dump());
    response.headers.Add("Location", fmt::format("/api/v1/exports/{}", started->id));
    co_return response;
  }

  Task<Response> GetExport(Request& request) {
    auto found = co_await exports_.Find(request.principal->subject, std::string(*request.params.Get("id")));
    if (!found) co_return http::ProblemFrom(found.error());
    co_return Response::Json(200, ExportJson(*found).dump());
  }

  Task<Response> DownloadExport(Request& request) {
    auto found = co_await exports_.Find(request.principal->subject, std::string(*request.params.Get("id")));
    if (!found) co_return http::ProblemFrom(found.error());
    if (found->state == "running")
      co_return http::Problem(409, fmt::format("the export is still being written; its progress is at "
                                               "/api/v1/jobs/{}",
                                               found->job_id.value_or(0)));
    if (found->state != "ready") co_return http::Problem(409, "the export failed; start another");
    auto download = std::make_shared<ExportDownload>(exports_, found->id);
    Response response;
    response.status = 200;
    response.headers.Add("Content-Type", std::string(ExportContentType(found->format)));
    response.headers.Add("Content-Disposition",
                         fmt::format("attachment; filename=\"{}-{}.{}\"", found->app_id, found->id,
                                     ExportFormatName(found->format)));
    response.headers.Add("X-Accel-Buffering", "no");
    response.stream = [download]() { return download->Next(); };
    co_return response;
  }

  Task<Response> Overview(Request& request) {
    auto window = ReadWindow(request);
    if (auto* invalid = std::get_if<Response>(&window)) co_return std::move(*invalid);
    auto json = co_await dashboards_.ForOwner(request.principal->subject, std::get<DashboardWindow>(window));
    if (!json) co_return http::ProblemFrom(json.error());
    co_return Response::Json(200, std::move(json).value());
  }

 private:
  Task<Response> ReadEvents(Request& request, bool failed) {
    auto query = ReadLogQuery(request, /*with_validity=*/!failed);
    if (auto* invalid = std::get_if<Response>(&query)) co_return std::move(*invalid);
    auto app = co_await store_.Find(request.principal->subject, AppId(request));
    if (!app) co_return http::ProblemFrom(app.error());
    LogQuery& filter = std::get<LogQuery>(query);
    Result<nlohmann::ordered_json> page = Error{ErrorCode::kInternal, "not read"};
    if (failed)
      page = co_await logs_.Failed(app->id, std::move(filter));
    else
      page = co_await logs_.Logs(app->id, std::move(filter));
    if (!page) co_return http::ProblemFrom(page.error());
    co_return Response::Json(200, page->dump());
  }

  AppStore store_;
  Exports exports_;
  IngestTargets& targets_;
  pubsub::PubSub& pubsub_;
  LogReader logs_;
  Dashboards dashboards_;
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
  routes_ = std::make_unique<AppRoutes>(context, options, ingestion_->targets);
  AppRoutes* r = routes_.get();
  IngestRoute* ingest = &ingestion_->route;
  const http::RouteOptions authed{.authenticated = true};
  const http::RouteOptions authed_json{.json_body = true, .authenticated = true};
  http::Router& router = context.router();
  router.Add(
      "POST", "/api/v1/apps", [r](Request& q) { return r->Create(q); }, authed_json);
  router.Add(
      "GET", "/api/v1/apps", [r](Request& q) { return r->List(q); }, authed);
  router.Add(
      "GET", "/api/v1/apps/{app_id}", [r](Request& q) { return r->Get(q); }, authed);
  router.Add(
      "PATCH", "/api/v1/apps/{app_id}", [r](Request& q) { return r->Patch(q); }, authed_json);
  router.Add(
      "DELETE", "/api/v1/apps/{app_id}", [r](Request& q) { return r->Delete(q); }, authed);
  router.Add(
      "POST", "/api/v1/apps/{app_id}/ingest-keys", [r](Request& q) { return r->RotateKey(q); }, authed);
  router.Add(
      "PUT", "/api/v1/apps/{app_id}/rules", [r](Request& q) { return r->PutRules(q); }, authed_json);
  router.Add(
      "GET", "/api/v1/apps/{app_id}/rules", [r](Request& q) { return r->GetRules(q); }, authed);
  router.Add(
      "GET", "/api/v1/apps/{app_id}/rules/versions", [r](Request& q) { return r->ListRules(q); }, authed);
  router.Add(
      "GET", "/api/v1/apps/{app_id}/rules/versions/{version}",
      [r](Request& q) { return r->GetRulesVersion(q); }, authed);
  router.Add(
      "GET", "/api/v1/apps/{app_id}/logs", [r](Request& q) { return r->Logs(q); }, authed);
  router.Add(
      "GET", "/api/v1/apps/{app_id}/failed", [r](Request& q) { return r->Failed(q); }, authed);
  router.Add(
      "GET", "/api/v1/apps/{app_id}/dashboard", [r](Request& q) { return r->AppDashboard(q); }, authed);
  router.Add(
      "GET", "/api/v1/apps/{app_id}/live", [r](Request& q) { return r->Live(q); }, authed);
  router.Add(
      "POST", "/api/v1/apps/{app_id}/exports", [r](Request& q) { return r->StartExport(q); }, authed_json);
  router.Add(
      "GET", "/api/v1/exports/{id}", [r](Request& q) { return r->GetExport(q); }, authed);
  router.Add(
      "GET", "/api/v1/exports/{id}/download", [r](Request& q) { return r->DownloadExport(q); }, authed);
  router.Add(
      "GET", "/api/v1/dashboard", [r](Request& q) { return r->Overview(q); }, authed);
  // The ingest key is the credential (checked by the route, not the user authenticator), and the app's own
  // limit replaces the per-IP one: one sender's address may carry many apps' traffic.
  router.Add(
      "POST", "/api/v1/logs", [ingest](Request& q) { return ingest->Ingest(q); },
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
