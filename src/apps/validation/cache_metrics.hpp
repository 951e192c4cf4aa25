// Hits and misses of the validation module's caches (ingest keys, rules, dashboards), one label per cache:
// keel_validation_cache_hits_total{cache} and keel_validation_cache_misses_total{cache}; their ratio is the
// seed's cache hit rate.
//
// Thread safety: the counters are prometheus-cpp's, safe from any thread.
#pragma once

#include <string>

#include <prometheus/counter.h>

#include "core/metrics.hpp"

namespace keel::validation {

class CacheMetrics {
 public:
  CacheMetrics(Metrics& metrics, const std::string& cache);
  void Hit() { hits_.Increment(); }
  void Miss() { misses_.Increment(); }

 private:
  prometheus::Counter& hits_;
  prometheus::Counter& misses_;
};

}  // namespace keel::validation
