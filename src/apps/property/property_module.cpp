// Handlers of /api/v1/property/* and the module's wiring.
#include "apps/property/property_module.hpp"

#include <cmath>

#include <prometheus/histogram.h>

#include "apps/property/prediction_stats.hpp"
#include "core/clock.hpp"
#include "core/metrics.hpp"
#include "http/problem.hpp"
#include "http/router.hpp"
#include "ml/model_platform.hpp"
#include "ml/prediction_answer.hpp"
#include "ml/version_comparison.hpp"

namespace keel::property {

// Generated from the openapi.json beside this file.
std::string_view OpenApiPart();

std::string_view PropertyModule::OpenApi() const { return OpenApiPart(); }

using http::Request;
using http::Response;

namespace {

constexpr const char* kModel = "property";

// Prices to the cent: the model's float output has no more precision than that.
double Cents(double price) { return std::round(price * 100.0) / 100.0; }

}  // namespace

class PropertyService {
 public:
  PropertyService(ml::ModelPlatform& models, sql::Database& database, const Clock& clock, Metrics& metrics)
      : models_(models),
        database_(database),
        clock_(clock),
        duration_(prometheus::BuildHistogram()
                      .Name("keel_prediction_duration_seconds")
                      .Help("Time to answer a prediction request (cache, batching and model), by model.")
                      .Register(metrics.registry())
                      .Add({{"model", kModel}},
                           prometheus::Histogram::BucketBoundaries{0.0001, 0.00025, 0.0005, 0.001, 0.0025,
                                                                   0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1})) {
  }

  Task<Response> Predict(Request& request) {
    auto model = models_.Get(kModel);
    if (!model)
      co_return http::ProblemFrom(Error{ErrorCode::kUnavailable, "the property model is not loaded yet"});
    Response response = co_await ml::AnswerPrediction(models_, model, request, Cents);
    if (response.status == 200)
      duration_.Observe(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - request.received_at).count());
    co_return response;
  }

  Task<Response> Model(Request&) {
    auto model = models_.Get(kModel);
    if (!model)
      co_return http::ProblemFrom(Error{ErrorCode::kUnavailable, "the property model is not loaded yet"});
    nlohmann::json meta = model->meta.ToJson();
    meta.erase("validation_sample");
    co_return Response::Json(200, meta.dump());
  }

  Task<Response> Stats(Request& request) {
    auto window_text = request.QueryParam("window").value_or("1h");
    auto window = ml::ParsePredictionWindow(window_text);
    if (!window)
      co_return http::InvalidFieldsProblem(
          {{"window", "must be a number of minutes, hours or days (15m, 1h, 7d), at most 30d"}});
    std::string model = kModel;  // named: a converted temporary in a co_await is unsafe with g++ 12
    auto stats = co_await PredictionStats(database_, model, *window, clock_.WallMillis());
    if (!stats) co_return http::ProblemFrom(stats.error());
    (*stats)["window"] = window_text;
    co_return Response::Json(200, stats->dump());
  }

 private:
  ml::ModelPlatform& models_;
  sql::Database& database_;
  const Clock& clock_;
  prometheus::Histogram& duration_;
};

PropertyModule::PropertyModule() = default;
PropertyModule::~PropertyModule() = default;

Result<void> PropertyModule::Register(ModuleContext& context) {
  ml::ModelPlatform& models = context.models();
  if (!models.Serves(kModel)) return Ok();
  service_ =
      std::make_unique<PropertyService>(models, context.database(), context.clock(), context.metrics());
  auto* service = service_.get();
  auto& router = context.router();
  router.Add(
      "POST", "/api/v1/property/predict", [service](Request& r) { return service->Predict(r); },
      http::RouteOptions{.body_limit = 1 << 20, .json_body = true});
  router.Add("GET", "/api/v1/property/model", [service](Request& r) { return service->Model(r); });
  router.Add(
      "GET", "/api/v1/property/stats", [service](Request& r) { return service->Stats(r); },
      http::RouteOptions{.authenticated = true});
  return Ok();
}

}  // namespace keel::property
