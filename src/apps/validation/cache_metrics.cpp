// CacheMetrics: both families are registered once per registry and labelled per cache.
#include "apps/validation/cache_metrics.hpp"

namespace keel::validation {

namespace {

prometheus::Family<prometheus::Counter>& Family(Metrics& metrics, const std::string& name,
                                                const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(metrics.registry());
}

}  // namespace

CacheMetrics::CacheMetrics(Metrics& metrics, const std::string& cache)
    : hits_(Family(metrics, "keel_validation_cache_hits_total",
                   "Lookups the validation module's caches answered (ingest keys, rules, dashboards).")
                .Add({{"cache", cache}})),
      misses_(Family(metrics, "keel_validation_cache_misses_total",
                     "Lookups the validation module's caches sent on to the database.")
                  .Add({{"cache", cache}})) {}

}  // namespace keel::validation
