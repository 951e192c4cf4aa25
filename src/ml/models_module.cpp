// The routes and jobs of the ML platform.
#include "ml/models_module.hpp"

#include <cmath>

#include "core/clock.hpp"
#include "http/json_body.hpp"
#include "http/pagination.hpp"
#include "http/problem.hpp"
#include "http/router.hpp"
#include "jobs/cron.hpp"
#include "jobs/job_context.hpp"
#include "jobs/job_kinds.hpp"
#include "ml/ml_config.hpp"
#include "ml/model_platform.hpp"
#include "ml/prediction_answer.hpp"
#include "ml/traffic_plan.hpp"
#include "ml/version_comparison.hpp"
#include "storage/sql/database.hpp"

namespace keel::ml {

// Generated from the openapi.json beside this file.
std::string_view OpenApiPart();

std::string_view ModelsModule::OpenApi() const { return OpenApiPart(); }

std::vector<sql::Migration> ModelsModule::Migrations(std::string_view backend) const {
  return ml::Migrations(backend);
}
namespace {

using http::Request;
using http::Response;

Task<Response> Models(ModelPlatform& models, Request& request) {
  std::vector<http::FieldError> errors;
  auto page = http::ParsePagination(request, errors);
  if (!errors.empty()) co_return http::InvalidFieldsProblem(errors);
  std::size_t total = 0;
  auto catalog = models.Catalog(static_cast<std::size_t>((page.page - 1) * page.per_page),
                                static_cast<std::size_t>(page.per_page), total);
  nlohmann::json body = {{"items", std::move(catalog)},
                         {"page", page.page},
                         {"per_page", page.per_page},
                         {"total", static_cast<std::int64_t>(total)}};
  co_return Response::Json(200, body.dump());
}

// Six decimals: a model's float output carries no more.
double Rounded(double value) { return std::round(value * 1e6) / 1e6; }

// Any model of the registry by name: loaded on first use, cached and logged like every prediction.
Task<Response> Predict(ModelPlatform& models, Request& request) {
  std::string name(*request.params.Get("name"));
  auto model = co_await models.Load(name);
  if (!model) co_return http::ProblemFrom(model.error());
  co_return co_await AnswerPrediction(models, std::move(model).value(), request, Rounded);
}

Task<Response> Reload(ModelPlatform& models, Request& request) {
  std::string name(*request.params.Get("name"));
  auto outcome = co_await models.Reload(name);
  if (!outcome) {
    if (outcome.error().code == ErrorCode::kInvalidArgument)
      co_return http::ProblemFrom(
          Error{ErrorCode::kConflict, outcome.error().message + " (the served version stays)"});
    co_return http::ProblemFrom(outcome.error());
  }
  nlohmann::json body = {{"model", name},
                         {"version", outcome->version},
                         {"swapped", outcome->swapped},
                         {"refused", outcome->refused}};
  co_return Response::Json(200, body.dump());
}

// What this instance does for the model now: its traffic plan, or the served version alone.
Task<Response> ShowTraffic(ModelPlatform& models, Request& request) {
  std::string name(*request.params.Get("name"));
  auto model = co_await models.Load(name);
  if (!model) co_return http::ProblemFrom(model.error());
  co_return Response::Json(200, models.traffic().Describe(name, (*model)->meta.version).dump());
}

Task<Response> SetTraffic(ModelPlatform& models, Request& request) {
  std::string name(*request.params.Get("name"));
  http::JsonBody body = http::ParseJsonBody(request.body);
  if (body.malformed || !body.errors.empty()) {
    http::InputProblem problem;
    problem.malformed = std::move(body.malformed);
    problem.errors = std::move(body.errors);
    co_return problem.ToResponse();
  }
  auto parsed = TrafficPlan::Parse(body.value);
  if (auto* errors = std::get_if<std::vector<http::FieldError>>(&parsed))
    co_return http::InvalidFieldsProblem(*errors);
  auto model = co_await models.Load(name);
  if (!model) co_return http::ProblemFrom(model.error());
  auto set = co_await models.traffic().Set(name, std::move(std::get<TrafficPlan>(parsed)));
  if (!set) {
    if (set.error().code == ErrorCode::kInvalidArgument)
      co_return http::InvalidFieldsProblem(
          {{"versions", set.error().message + " (the plan in force stays)"}});
    co_return http::ProblemFrom(set.error());
  }
  co_return Response::Json(200, models.traffic().Describe(name, (*model)->meta.version).dump());
}

Task<Response> ClearTraffic(ModelPlatform& models, Request& request) {
  std::string name(*request.params.Get("name"));
  auto model = co_await models.Load(name);
  if (!model) co_return http::ProblemFrom(model.error());
  auto cleared = co_await models.traffic().Clear(name);
  if (!cleared) co_return http::ProblemFrom(cleared.error());
  co_return Response::Json(200, models.traffic().Describe(name, (*model)->meta.version).dump());
}

Task<Response> Compare(ModelPlatform& models, sql::Database& db, const Clock& clock, Request& request) {
  std::string name(*request.params.Get("name"));
  auto window_text = request.QueryParam("window").value_or("1h");
  auto window = ParsePredictionWindow(window_text);
  if (!window)
    co_return http::InvalidFieldsProblem(
        {{"window", "must be a number of minutes, hours or days (15m, 1h, 7d), at most 30d"}});
  auto model = co_await models.Load(name);
  if (!model) co_return http::ProblemFrom(model.error());
  auto comparison = co_await CompareVersions(db, name, *window, clock.WallMillis());
  if (!comparison) co_return http::ProblemFrom(comparison.error());
  (*comparison)["window"] = window_text;
  (*comparison)["traffic"] = models.traffic().Describe(name, (*model)->meta.version);
  co_return Response::Json(200, comparison->dump());
}

void AddLogRetention(ModuleContext& context) {
  auto retention_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(MlOptions::Read(context.config()).log_retention)
          .count();
  auto prune = jobs::JobKind::Make(
      "maintenance.prune_prediction_logs", "maintenance",
      [&db = context.database(), &clock = context.clock(),
       retention_ms](jobs::JobContext& job) -> Result<nlohmann::json> {
        std::int64_t before = clock.WallMillis() - retention_ms;
        std::int64_t pruned = 0;
        // In slices, so the write lock is never held for long.
        for (;;) {
          auto deleted =
              job.Await(db.Execute("DELETE FROM prediction_logs WHERE id IN "
                                   "(SELECT id FROM prediction_logs WHERE created_at < ? LIMIT 10000)",
                                   sql::Args(before)));
          if (!deleted) return std::move(deleted).error();
          pruned += *deleted;
          if (*deleted < 10000 || job.Cancelled()) break;
        }
        // The rollups of the periods that ended before the retention: a few rows per version and hour.
        auto rollups = job.Await(
            db.Execute("DELETE FROM prediction_rollups WHERE start_ms + period_ms <= ?", sql::Args(before)));
        if (!rollups) return std::move(rollups).error();
        return nlohmann::json{{"pruned", pruned}, {"pruned_rollups", *rollups}};
      });
  prune.max_attempts = 3;
  context.job_kinds().Add(std::move(prune));
  context.job_kinds().AddPeriodic(jobs::PeriodicJob{"maintenance.prune_prediction_logs",
                                                    jobs::CronSchedule::Parse("23 * * * *").value()});
}

}  // namespace

ConfigSchema ModelsModule::ConfigKeys() const { return ml::ConfigKeys(); }

Result<void> ModelsModule::Register(ModuleContext& context) {
  platform_ = &context.models();
  readiness_ = &context.readiness();
  ModelPlatform& models = *platform_;
  auto& router = context.router();
  router.Add("GET", "/api/v1/models", [&models](Request& r) { return Models(models, r); });
  router.Add(
      "POST", "/api/v1/models/{name}/predict", [&models](Request& r) { return Predict(models, r); },
      http::RouteOptions{.body_limit = 1 << 20, .json_body = true, .authenticated = true});
  router.Add(
      "POST", "/api/v1/admin/models/{name}/reload", [&models](Request& r) { return Reload(models, r); },
      http::RouteOptions{.admin_only = true});
  router.Add(
      "GET", "/api/v1/admin/models/{name}/traffic", [&models](Request& r) { return ShowTraffic(models, r); },
      http::RouteOptions{.admin_only = true});
  router.Add(
      "POST", "/api/v1/admin/models/{name}/traffic", [&models](Request& r) { return SetTraffic(models, r); },
      http::RouteOptions{.body_limit = 64 << 10, .json_body = true, .admin_only = true});
  router.Add(
      "DELETE", "/api/v1/admin/models/{name}/traffic",
      [&models](Request& r) { return ClearTraffic(models, r); }, http::RouteOptions{.admin_only = true});
  router.Add(
      "GET", "/api/v1/models/{name}/compare",
      [&models, &db = context.database(), &clock = context.clock()](Request& r) {
        return Compare(models, db, clock, r);
      },
      http::RouteOptions{.authenticated = true});
  AddLogRetention(context);
  return Ok();
}

void ModelsModule::Start() { platform_->Start(*readiness_); }

void ModelsModule::Stop() { platform_->Stop(); }

}  // namespace keel::ml
