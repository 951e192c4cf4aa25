#include "apps/siprems/forecaster.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "apps/siprems/product_store.hpp"
#include "apps/siprems/sales_store.hpp"
#include "apps/siprems/served_models.hpp"
#include "core/rfc3339.hpp"
#include "storage/kv/kv_store.hpp"
#include "storage/kv/memory/memory_kv.hpp"

namespace keel::siprems {
namespace {

namespace ts = ml::timeseries;

std::string CacheKey(const std::string& sku, const std::string& version, int horizon) {
  return fmt::format("siprems:forecast:{}:{}:{}", sku, version, horizon);
}

// The forecast document; `version` null: seasonal naive on the sales so far, no model trained yet.
std::string ForecastDocument(const std::string& sku, const ForecastModel& model, int horizon,
                             const ModelVersion* version) {
  ts::Forecast forecast = model.Predict(horizon);
  nlohmann::json points = nlohmann::json::array();
  std::int64_t period = model.series.LastPeriod();
  for (int i = 0; i < horizon; ++i) {
    period = AddPeriods(period, model.series.interval, 1);
    const auto k = static_cast<std::size_t>(i);
    points.push_back({{"period", FormatDay(period)},
                      {"forecast", forecast.mean[k]},
                      {"lower80", forecast.lower80[k]},
                      {"upper80", forecast.upper80[k]},
                      {"lower95", forecast.lower95[k]},
                      {"upper95", forecast.upper95[k]}});
  }
  nlohmann::json about = {{"family", ts::FamilyName(model.family)}};
  if (version) {
    about["version"] = version->version;
    about["trained_at"] = FormatRfc3339(version->trained_ms);
  } else {
    about["version"] = nullptr;
    about["trained_at"] = nullptr;
    about["fallback"] = true;  // no version trained yet: the baseline, computed on the sales so far
  }
  return nlohmann::json{{"sku", sku},
                        {"interval", IntervalName(model.series.interval)},
                        {"history_end", FormatDay(model.series.LastPeriod())},
                        {"model", std::move(about)},
                        {"points", std::move(points)}}
      .dump();
}

Error NoSales(const std::string& sku) {
  return Error{ErrorCode::kConflict, "product " + sku + " has no sales to forecast from"};
}

prometheus::Counter& CacheCounter(Metrics& metrics, const char* name, const char* help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(metrics.registry()).Add({});
}

}  // namespace

Forecaster::Forecaster(ProductStore& products, SalesStore& sales, ServedModels& served,
                       std::unique_ptr<kv::KvStore> cache, kv::MemoryKv& near, Metrics& metrics,
                       const SipremsOptions& options)
    : products_(products),
      sales_(sales),
      served_(served),
      cache_(std::move(cache)),
      near_(near),
      hits_counter_(CacheCounter(metrics, "keel_forecast_cache_hits_total",
                                 "Forecasts of served versions answered from the cache.")),
      misses_counter_(CacheCounter(metrics, "keel_forecast_cache_misses_total",
                                   "Forecasts of served versions computed (and then cached).")),
      options_(options) {}

CacheStats Forecaster::Stats() const {
  CacheStats stats;
  stats.hits = hits_.load(std::memory_order_relaxed);
  stats.misses = misses_.load(std::memory_order_relaxed);
  stats.entries = near_.Size();
  stats.bytes = near_.Bytes();
  stats.evictions = near_.Evictions();
  return stats;
}

Forecaster::~Forecaster() = default;

Task<Result<ForecastAnswer>> Forecaster::Forecast(std::string sku, int horizon) {
  ForecastAnswer answer;
  auto served = co_await served_.Get(sku);
  if (!served) co_return std::move(served).error();
  if (*served) {
    const ServedModel& model = **served;
    answer.served = true;
    std::string key = CacheKey(sku, model.version.version, horizon);
    if (auto hit = co_await cache_->Get(key); hit && *hit) {
      answer.document = std::move(**hit);
      answer.cached = true;
      hits_.fetch_add(1, std::memory_order_relaxed);
      hits_counter_.Increment();
      co_return answer;
    }
    misses_.fetch_add(1, std::memory_order_relaxed);
    misses_counter_.Increment();
    answer.document = ForecastDocument(sku, model.model, horizon, &model.version);
    co_await cache_->Set(key, answer.document, options_.forecast_cache_ttl);  // a failure only costs a miss
    co_return answer;
  }
  auto product = co_await products_.Find(sku);
  if (!product) co_return std::move(product).error();
  auto series = co_await sales_.SeriesOf(sku, options_.interval);
  if (!series) co_return std::move(series).error();
  if (series->values.empty()) co_return NoSales(sku);
  answer.document = ForecastDocument(sku, SeasonalNaiveOf(*series), horizon, nullptr);
  co_return answer;
}

}  // namespace keel::siprems
