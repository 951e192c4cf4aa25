// EventRoutes: query strings and bodies read here; the stores and streams do the rest.
#include "apps/validation/event_routes.hpp"

#include <fmt/format.h>
#include <boost/asio/this_coro.hpp>
#include <nlohmann/json.hpp>

#include "apps/validation/live_feed.hpp"
#include "core/rfc3339.hpp"
#include "http/json_fields.hpp"
#include "http/problem.hpp"

namespace keel::validation {

namespace {

using http::Request;
using http::Response;

std::string AppId(const Request& request) { return std::string(*request.params.Get("app_id")); }

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

void EventRoutes::AddTo(http::Router& router) {
  const http::RouteOptions authed{.authenticated = true};
  const http::RouteOptions authed_json{.json_body = true, .authenticated = true};
  router.Add(
      "GET", "/api/v1/apps/{app_id}/logs", [this](Request& q) { return Logs(q); }, authed);
  router.Add(
      "GET", "/api/v1/apps/{app_id}/failed", [this](Request& q) { return Failed(q); }, authed);
  router.Add(
      "GET", "/api/v1/apps/{app_id}/dashboard", [this](Request& q) { return AppDashboard(q); }, authed);
  router.Add(
      "GET", "/api/v1/apps/{app_id}/live", [this](Request& q) { return Live(q); }, authed);
  router.Add(
      "POST", "/api/v1/apps/{app_id}/exports", [this](Request& q) { return StartExport(q); }, authed_json);
  router.Add(
      "GET", "/api/v1/exports/{id}", [this](Request& q) { return GetExport(q); }, authed);
  router.Add(
      "GET", "/api/v1/exports/{id}/download", [this](Request& q) { return DownloadExport(q); }, authed);
  router.Add(
      "GET", "/api/v1/dashboard", [this](Request& q) { return Overview(q); }, authed);
}

Task<Response> EventRoutes::Logs(Request& request) {
  co_return co_await ReadEvents(request, /*failed=*/false);
}
Task<Response> EventRoutes::Failed(Request& request) {
  co_return co_await ReadEvents(request, /*failed=*/true);
}

Task<Response> EventRoutes::AppDashboard(Request& request) {
  auto window = ReadWindow(request);
  if (auto* invalid = std::get_if<Response>(&window)) co_return std::move(*invalid);
  auto app = co_await apps_.Find(request.principal->subject, AppId(request));
  if (!app) co_return http::ProblemFrom(app.error());
  auto json =
      co_await dashboards_.ForApp(request.principal->subject, app->id, std::get<DashboardWindow>(window));
  if (!json) co_return http::ProblemFrom(json.error());
  co_return Response::Json(200, std::move(json).value());
}

Task<Response> EventRoutes::Live(Request& request) {
  auto app = co_await apps_.Find(request.principal->subject, AppId(request));
  if (!app) co_return http::ProblemFrom(app.error());
  boost::asio::any_io_executor executor = co_await boost::asio::this_coro::executor;
  auto stream = LiveStream::Open(pubsub_, app->id, executor);
  co_return Response::EventStream([stream]() { return stream->Next(); });
}

Task<Response> EventRoutes::StartExport(Request& request) {
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

Task<Response> EventRoutes::GetExport(Request& request) {
  auto found = co_await exports_.Find(request.principal->subject, std::string(*request.params.Get("id")));
  if (!found) co_return http::ProblemFrom(found.error());
  co_return Response::Json(200, ExportJson(*found).dump());
}

Task<Response> EventRoutes::DownloadExport(Request& request) {
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
  response.headers.Add("Content-Disposition", fmt::format("attachment; filename=\"{}-{}.{}\"", found->app_id,
                                                          found->id, ExportFormatName(found->format)));
  response.headers.Add("X-Accel-Buffering", "no");
  response.stream = [download]() { return download->Next(); };
  co_return response;
}

Task<Response> EventRoutes::Overview(Request& request) {
  auto window = ReadWindow(request);
  if (auto* invalid = std::get_if<Response>(&window)) co_return std::move(*invalid);
  auto json = co_await dashboards_.ForOwner(request.principal->subject, std::get<DashboardWindow>(window));
  if (!json) co_return http::ProblemFrom(json.error());
  co_return Response::Json(200, std::move(json).value());
}

Task<Response> EventRoutes::ReadEvents(Request& request, bool failed) {
  auto query = ReadLogQuery(request, /*with_validity=*/!failed);
  if (auto* invalid = std::get_if<Response>(&query)) co_return std::move(*invalid);
  auto app = co_await apps_.Find(request.principal->subject, AppId(request));
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

}  // namespace keel::validation
