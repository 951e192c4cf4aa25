#include "apps/siprems/forecast_routes.hpp"

#include <charconv>
#include <variant>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "apps/siprems/forecaster.hpp"
#include "apps/siprems/model_store.hpp"
#include "apps/siprems/product_store.hpp"
#include "apps/siprems/public_reads.hpp"
#include "apps/siprems/served_models.hpp"
#include "apps/siprems/training_jobs.hpp"
#include "core/rfc3339.hpp"
#include "http/json_fields.hpp"
#include "http/problem.hpp"
#include "http/router.hpp"
#include "jobs/job_queue.hpp"

namespace keel::siprems {
namespace {

using http::Request;
using http::Response;
namespace ts = ml::timeseries;

constexpr int kDefaultHorizon = 12;

std::optional<int> ParseHorizon(std::string_view text, int max) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 1 || value > max) return std::nullopt;
  return value;
}

Response ForecastResponse(ForecastAnswer answer) {
  Response response = Response::Json(200, std::move(answer.document));
  if (answer.served) response.headers.Add("X-Forecast-Cache", answer.cached ? "hit" : "miss");
  return response;
}

Response HorizonProblem(int max) {
  return http::InvalidFieldsProblem({{"horizon", fmt::format("must be a whole number from 1 to {}", max)}});
}

nlohmann::json VersionJson(const ModelVersion& v) {
  nlohmann::json json = {{"version", v.version},
                         {"family", v.family},
                         {"status", v.status},
                         {"mase", v.mase},
                         {"trained_at", FormatRfc3339(v.trained_ms)},
                         {"metrics", v.metrics}};
  json["reason"] = v.reason ? nlohmann::json(*v.reason) : nlohmann::json(nullptr);
  return json;
}

// The backtest route's answer, from the metrics the served version was recorded with.
std::string BacktestDocument(const std::string& sku, const ModelVersion& version) {
  const nlohmann::json& metrics = version.metrics;
  nlohmann::json served = metrics.value("holdout", nlohmann::json::object());
  served["family"] = version.family;
  served["version"] = version.version;
  return nlohmann::json{{"sku", sku},
                        {"split", metrics.value("split", nlohmann::json::object())},
                        {"served", std::move(served)},
                        {"seasonal_naive", metrics.value("holdout_seasonal_naive", nlohmann::json::object())},
                        {"rolling_origin", metrics.value("backtest", nlohmann::json::object())}}
      .dump();
}

std::string VersionsDocument(const std::string& sku, const std::vector<ModelVersion>& versions) {
  nlohmann::json items = nlohmann::json::array();
  for (const ModelVersion& v : versions) items.push_back(VersionJson(v));
  return nlohmann::json{{"sku", sku}, {"items", std::move(items)}}.dump();
}

Response TrainAccepted(std::int64_t job_id) {
  std::string status_url = fmt::format("/api/v1/jobs/{}", job_id);
  Response response =
      Response::Json(202, nlohmann::json{{"job_id", job_id}, {"status_url", status_url}}.dump());
  response.headers.Add("Location", status_url);
  return response;
}

Response UnknownSkuProblem(const std::string& sku) {
  return http::InvalidFieldsProblem({{"skus", "no product with SKU " + sku}});
}

// POST /api/v1/train's body: nothing (every product) or {"skus": [...]}.
std::variant<std::vector<std::string>, http::InputProblem> ParseTrainBody(std::string_view body) {
  std::vector<std::string> skus;
  if (body.empty()) return skus;
  http::JsonFields fields(body);
  if (!fields.ok()) return fields.problem();
  fields.RejectUnknown({"skus"});
  if (const nlohmann::json* given = fields.Member("skus")) {
    bool valid = given->is_array() && given->size() <= 10000;
    for (std::size_t i = 0; valid && i < given->size(); ++i)
      valid = (*given)[i].is_string() && ValidSku((*given)[i].get<std::string>());
    if (!valid)
      fields.AddError("skus", "must be an array of at most 10000 SKUs");
    else
      skus = given->get<std::vector<std::string>>();
  }
  if (!fields.ok()) return fields.problem();
  return skus;
}

}  // namespace

ForecastRoutes::ForecastRoutes(ProductStore& products, ModelStore& models, ServedModels& served,
                               Forecaster& forecaster, jobs::JobQueue& jobs, const SipremsOptions& options)
    : products_(products),
      models_(models),
      served_(served),
      forecaster_(forecaster),
      jobs_(jobs),
      options_(options) {}

void ForecastRoutes::AddTo(http::Router& router) {
  const http::RouteOptions authed{.authenticated = true, .scope = "siprems"};
  const http::RouteOptions reads = ReadRouteOptions(options_);
  router.Add("GET", "/api/v1/products/{sku}/forecast",
             PublicRead([this](Request& r) { return Forecast(r); }, options_), reads);
  // The seed's nginx gives /api/predict a stricter limit (3 r/s, burst 5) than the rest of /api/.
  router.Add(
      "POST", "/api/v1/predict", [this](Request& r) { return Predict(r); },
      http::RouteOptions{
          .json_body = true, .authenticated = true, .scope = "siprems", .rate_policy = kPredictRatePolicy});
  router.Add("GET", "/api/v1/products/{sku}/backtest",
             PublicRead([this](Request& r) { return Backtest(r); }, options_), reads);
  router.Add(
      "GET", "/api/v1/products/{sku}/models", [this](Request& r) { return Models(r); }, authed);
  router.Add(
      "POST", "/api/v1/train", [this](Request& r) { return Train(r); },
      http::RouteOptions{.json_body = true, .admin_only = true});
}

Task<Response> ForecastRoutes::Forecast(Request& request) {
  int horizon = kDefaultHorizon;
  if (auto given = request.QueryParam("horizon")) {
    auto parsed = ParseHorizon(*given, options_.max_horizon);
    if (!parsed) co_return HorizonProblem(options_.max_horizon);
    horizon = *parsed;
  }
  co_return co_await Answer(std::string(*request.params.Get("sku")), horizon);
}

Task<Response> ForecastRoutes::Predict(Request& request) {
  http::JsonFields fields(request.body);
  if (!fields.ok()) co_return fields.Problem();
  fields.RejectUnknown({"sku", "horizon"});
  auto sku = fields.String("sku", 1, 64, /*required=*/true);
  int horizon = kDefaultHorizon;
  if (const nlohmann::json* given = fields.Member("horizon")) {
    if (!given->is_number_integer() || given->get<std::int64_t>() < 1 ||
        given->get<std::int64_t>() > options_.max_horizon)
      fields.AddError("horizon", fmt::format("must be a whole number from 1 to {}", options_.max_horizon));
    else
      horizon = static_cast<int>(given->get<std::int64_t>());
  }
  if (!fields.ok()) co_return fields.Problem();
  co_return co_await Answer(std::move(*sku), horizon);
}

Task<Response> ForecastRoutes::Answer(std::string sku, int horizon) {
  auto answer = co_await forecaster_.Forecast(std::move(sku), horizon);
  if (!answer) co_return http::ProblemFrom(answer.error());
  co_return ForecastResponse(std::move(*answer));
}

Task<Response> ForecastRoutes::Backtest(Request& request) {
  std::string sku(*request.params.Get("sku"));
  auto served = co_await served_.Get(sku);
  if (!served) co_return http::ProblemFrom(served.error());
  if (!*served) {
    auto product = co_await products_.Find(sku);
    if (!product) co_return http::ProblemFrom(product.error());
    co_return http::ProblemFrom(
        Error{ErrorCode::kConflict, "product " + sku + " has no trained model yet: nothing to backtest"});
  }
  co_return Response::Json(200, BacktestDocument(sku, (**served).version));
}

Task<Response> ForecastRoutes::Models(Request& request) {
  std::string sku(*request.params.Get("sku"));
  auto product = co_await products_.Find(sku);
  if (!product) co_return http::ProblemFrom(product.error());
  auto versions = co_await models_.Versions(sku, 50);
  if (!versions) co_return http::ProblemFrom(versions.error());
  co_return Response::Json(200, VersionsDocument(sku, *versions));
}

Task<Response> ForecastRoutes::Train(Request& request) {
  auto parsed = ParseTrainBody(request.body);
  if (auto* invalid = std::get_if<http::InputProblem>(&parsed)) co_return invalid->ToResponse();
  auto skus = std::get<std::vector<std::string>>(std::move(parsed));
  if (!skus.empty()) {
    auto unknown = co_await products_.Unknown(skus);
    if (!unknown) co_return http::ProblemFrom(unknown.error());
    if (!unknown->empty()) co_return UnknownSkuProblem(unknown->front());
  }
  auto enqueued = co_await EnqueueTraining(jobs_, std::move(skus), request.principal->subject);
  if (!enqueued) co_return http::ProblemFrom(enqueued.error());
  co_return TrainAccepted(enqueued->id);
}

}  // namespace keel::siprems
