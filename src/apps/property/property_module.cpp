// Handlers of /api/v1/property/* and the module's wiring.
#include "apps/property/property_module.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>
#include <prometheus/histogram.h>

#include "apps/property/prediction_stats.hpp"
#include "core/clock.hpp"
#include "core/metrics.hpp"
#include "http/problem.hpp"
#include "http/router.hpp"
#include "ml/model_platform.hpp"
#include "ml/prediction_input.hpp"

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
    auto parsed = ml::ParsePredictionInput(request.body, model->meta);
    if (auto* invalid = std::get_if<http::InputProblem>(&parsed)) co_return invalid->ToResponse();
    ml::PredictionInput& input = std::get<ml::PredictionInput>(parsed);

    auto predicted = co_await models_.Predict(model, input.values, input.rows);
    if (!predicted) co_return http::ProblemFrom(predicted.error());
    std::vector<double>& prices = predicted->values;
    for (double& price : prices) price = Cents(price);

    auto latency = std::chrono::steady_clock::now() - request.received_at;
    duration_.Observe(std::chrono::duration<double>(latency).count());
    const std::vector<bool>& hits = predicted->cached;
    bool all_hit = std::all_of(hits.begin(), hits.end(), [](bool hit) { return hit; });
    models_.Record(model, input.values, prices, hits, latency);

    std::string body;
    if (input.many) {
      body = R"({"predictions":[)";
      for (std::size_t i = 0; i < prices.size(); ++i)
        fmt::format_to(std::back_inserter(body), "{}{}", i ? "," : "", prices[i]);
      fmt::format_to(std::back_inserter(body), R"(],"model":"{}","version":"{}","cached":{}}})", kModel,
                     model->meta.version, all_hit);
    } else {
      body = fmt::format(R"({{"prediction":{},"model":"{}","version":"{}","cached":{}}})", prices[0], kModel,
                         model->meta.version, all_hit);
    }
    Response response = Response::Json(200, std::move(body));
    response.headers.Add("X-Cache", all_hit ? "HIT" : "MISS");
    response.headers.Add("X-Model-Version", model->meta.version);
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
    auto window = ParseWindow(window_text);
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
