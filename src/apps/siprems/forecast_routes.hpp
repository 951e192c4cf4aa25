// The forecast routes: GET /api/v1/products/{sku}/forecast (and POST /api/v1/predict, the seed's name for
// it), GET /api/v1/products/{sku}/backtest, GET /api/v1/products/{sku}/models, POST /api/v1/train.
#pragma once

#include <string>

#include "apps/siprems/siprems_config.hpp"
#include "core/async.hpp"
#include "http/message.hpp"

namespace keel {
class Clock;
namespace http {
class Router;
}
namespace jobs {
class JobQueue;
}
}  // namespace keel

namespace keel::siprems {

class Forecaster;
class ModelStore;
class ProductStore;
class ServedModels;

// The seed's stricter limit for /api/predict (nginx: 3 r/s, burst 5 per address), kept by Keel itself.
inline constexpr std::string_view kPredictRatePolicy = "siprems_predict";

class ForecastRoutes {
 public:
  ForecastRoutes(ProductStore& products, ModelStore& models, ServedModels& served, Forecaster& forecaster,
                 jobs::JobQueue& jobs, const SipremsOptions& options);

  void AddTo(http::Router& router);

 private:
  Task<http::Response> Forecast(http::Request& request);
  Task<http::Response> Predict(http::Request& request);
  Task<http::Response> Backtest(http::Request& request);
  Task<http::Response> Models(http::Request& request);
  Task<http::Response> Train(http::Request& request);
  Task<http::Response> Answer(std::string sku, int horizon);

  ProductStore& products_;
  ModelStore& models_;
  ServedModels& served_;
  Forecaster& forecaster_;
  jobs::JobQueue& jobs_;
  const SipremsOptions& options_;
};

}  // namespace keel::siprems
