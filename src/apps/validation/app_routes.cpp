// AppRoutes: the input of apps and rules, and their answers.
#include "apps/validation/app_routes.hpp"

#include <charconv>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "apps/validation/rule_set.hpp"
#include "http/json_body.hpp"
#include "http/json_fields.hpp"
#include "http/pagination.hpp"
#include "http/problem.hpp"

namespace keel::validation {

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

}  // namespace

void AppRoutes::AddTo(http::Router& router) {
  const http::RouteOptions authed{.authenticated = true};
  const http::RouteOptions authed_json{.json_body = true, .authenticated = true};
  router.Add(
      "POST", "/api/v1/apps", [this](Request& q) { return Create(q); }, authed_json);
  router.Add(
      "GET", "/api/v1/apps", [this](Request& q) { return List(q); }, authed);
  router.Add(
      "GET", "/api/v1/apps/{app_id}", [this](Request& q) { return Get(q); }, authed);
  router.Add(
      "PATCH", "/api/v1/apps/{app_id}", [this](Request& q) { return Patch(q); }, authed_json);
  router.Add(
      "DELETE", "/api/v1/apps/{app_id}", [this](Request& q) { return Delete(q); }, authed);
  router.Add(
      "POST", "/api/v1/apps/{app_id}/ingest-keys", [this](Request& q) { return RotateKey(q); }, authed);
  router.Add(
      "PUT", "/api/v1/apps/{app_id}/rules", [this](Request& q) { return PutRules(q); }, authed_json);
  router.Add(
      "GET", "/api/v1/apps/{app_id}/rules", [this](Request& q) { return GetRules(q); }, authed);
  router.Add(
      "GET", "/api/v1/apps/{app_id}/rules/versions", [this](Request& q) { return ListRules(q); }, authed);
  router.Add(
      "GET", "/api/v1/apps/{app_id}/rules/versions/{version}",
      [this](Request& q) { return GetRulesVersion(q); }, authed);
}

Task<Response> AppRoutes::Create(Request& request) {
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

Task<Response> AppRoutes::List(Request& request) {
  std::vector<http::FieldError> errors;
  auto page = http::ParsePagination(request, errors);
  if (!errors.empty()) co_return http::InvalidFieldsProblem(errors);
  auto apps = co_await store_.List(request.principal->subject, page.page, page.per_page);
  if (!apps) co_return http::ProblemFrom(apps.error());
  Json items = Json::array();
  for (const auto& app : apps->items) items.push_back(AppJson(app));
  co_return Response::Json(200, PageJson(std::move(items), page, apps->total).dump());
}

Task<Response> AppRoutes::Get(Request& request) {
  auto app = co_await store_.Find(request.principal->subject, AppId(request));
  if (!app) co_return http::ProblemFrom(app.error());
  co_return Response::Json(200, AppJson(*app).dump());
}

Task<Response> AppRoutes::Patch(Request& request) {
  auto input = ReadAppInput(request, /*creating=*/false);
  if (auto* invalid = std::get_if<Response>(&input)) co_return std::move(*invalid);
  AppInput& change = std::get<AppInput>(input);
  auto app = co_await store_.Update(request.principal->subject, AppId(request), std::move(change.name),
                                    std::move(change.mode));
  if (!app) co_return http::ProblemFrom(app.error());
  targets_.Changed(app->id);
  co_return Response::Json(200, AppJson(*app).dump());
}

Task<Response> AppRoutes::Delete(Request& request) {
  auto deleted = co_await store_.Delete(request.principal->subject, AppId(request));
  if (!deleted) co_return http::ProblemFrom(deleted.error());
  targets_.Changed(AppId(request));
  co_return Response::Empty(204);
}

Task<Response> AppRoutes::RotateKey(Request& request) {
  auto issued = co_await store_.RotateKey(request.principal->subject, AppId(request));
  if (!issued) co_return http::ProblemFrom(issued.error());
  targets_.Changed(AppId(request));
  Json body = {{"ingest_key", issued->key}};
  body["previous_key_expires_at"] =
      issued->previous_expires_at ? Json(*issued->previous_expires_at) : nullptr;
  co_return Response::Json(201, body.dump());
}

Task<Response> AppRoutes::PutRules(Request& request) {
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
  response.headers.Add("Location",
                       fmt::format("{}/{}/rules/versions/{}", kCollection, AppId(request), stored->version));
  co_return response;
}

Task<Response> AppRoutes::GetRules(Request& request) {
  auto rules = co_await store_.CurrentRules(request.principal->subject, AppId(request));
  if (!rules) co_return http::ProblemFrom(rules.error());
  co_return Response::Json(200, RulesJson(*rules).dump());
}

Task<Response> AppRoutes::ListRules(Request& request) {
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

Task<Response> AppRoutes::GetRulesVersion(Request& request) {
  std::string_view text = *request.params.Get("version");
  std::int64_t version = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), version);
  if (error != std::errc() || end != text.data() + text.size() || version < 1)
    co_return http::ProblemFrom(Error{ErrorCode::kNotFound, "versions are numbered from 1"});
  auto rules = co_await store_.RulesAt(request.principal->subject, AppId(request), version);
  if (!rules) co_return http::ProblemFrom(rules.error());
  co_return Response::Json(200, RulesJson(*rules).dump());
}

}  // namespace keel::validation
