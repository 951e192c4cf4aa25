// The forecast routes: GET /api/v1/products/{sku}/forecast (and POST /api/v1/predict, the seed's name for
// it), GET /api/v1/products/{sku}/backtest, GET /api/v1/products/{sku}/models, POST /api/v1/train.
// Forecasts of served versions are cached per (sku, version, horizon), so a new version is a new key.
#pragma once

#include <memory>
#include <string>

#include "apps/siprems/siprems_config.hpp"
#include "core/async.hpp"
#include "http/message.hpp"

namespace keel {
class Clock;
namespace kv {
class KvStore;
}
namespace http {
class Router;
}
namespace jobs {
class JobQueue;
}
}  // namespace keel

namespace keel::siprems {

class ModelStore;
class ProductStore;
class SalesStore;
class ServedModels;

// The seed's stricter limit for /api/predict (nginx: 3 r/s, burst 5 per address), kept by Keel itself.
inline constexpr std::string_view kPredictRatePolicy = "siprems_predict";

class ForecastRoutes {
 public:
  // `cache` holds forecasts (in-process, or two-level on Redis).
  ForecastRoutes(ProductStore& products, SalesStore& sales, ModelStore& models, ServedModels& served,
                 std::unique_ptr<kv::KvStore> cache, jobs::JobQueue& jobs, const SipremsOptions& options);
  ~ForecastRoutes();

  void AddTo(http::Router& router);

 private:
  Task<http::Response> Forecast(http::Request& request);
  Task<http::Response> Predict(http::Request& request);
  Task<http::Response> Backtest(http::Request& request);
  Task<http::Response> Models(http::Request& request);
  Task<http::Response> Train(http::Request& request);
  // The forecast document of `sku`, `horizon` periods ahead: the served version's (cached), or seasonal naive
  // on the sales so far when none serves.
  Task<http::Response> Answer(std::string sku, int horizon);

  ProductStore& products_;
  SalesStore& sales_;
  ModelStore& models_;
  ServedModels& served_;
  std::unique_ptr<kv::KvStore> cache_;
  jobs::JobQueue& jobs_;
  const SipremsOptions& options_;
};

}  // namespace keel::siprems
