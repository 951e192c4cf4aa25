// A product's forecast document: the served version's (cached per sku, version and horizon, so a new version
// is a new key), or seasonal naive on the sales so far when no version serves yet (not cached: the next sale
// changes it). What the forecast routes answer and the chat's forecast tool reads.
//
// Thread safety: as its stores.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include <prometheus/counter.h>

#include "apps/siprems/siprems_config.hpp"
#include "core/async.hpp"
#include "core/cache_catalog.hpp"
#include "core/metrics.hpp"
#include "core/result.hpp"

namespace keel::kv {
class KvStore;
class MemoryKv;
}  // namespace keel::kv

namespace keel::siprems {

class ProductStore;
class SalesStore;
class ServedModels;

struct ForecastAnswer {
  std::string document;  // JSON: sku, interval, history_end, model, points
  bool cached = false;
  bool served = false;  // a trained version's, not the fallback
};

class Forecaster {
 public:
  // `cache` holds forecasts: `near` in-process, behind which a shared level may sit (Redis when scaled out).
  Forecaster(ProductStore& products, SalesStore& sales, ServedModels& served,
             std::unique_ptr<kv::KvStore> cache, kv::MemoryKv& near, Metrics& metrics,
             const SipremsOptions& options);
  ~Forecaster();

  // The cache's counts, for /cache-stats.
  CacheStats Stats() const;

  // kNotFound for an unknown SKU, kConflict when the product has no sales yet.
  Task<Result<ForecastAnswer>> Forecast(std::string sku, int horizon);

 private:
  ProductStore& products_;
  SalesStore& sales_;
  ServedModels& served_;
  std::unique_ptr<kv::KvStore> cache_;
  kv::MemoryKv& near_;
  prometheus::Counter& hits_counter_;
  prometheus::Counter& misses_counter_;
  std::atomic<std::uint64_t> hits_{0}, misses_{0};
  const SipremsOptions& options_;
};

}  // namespace keel::siprems
