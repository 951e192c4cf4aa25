// The JSON summary of /metrics (asked for with Accept: application/json), the figures the seed's operators
// read with jq: requests and their rate, latency percentiles, the error rate, cache hit ratios, the SQL and
// blocking pools' use, and job queue depths. Prometheus text stays the default.
//
// Rates are over the time since the previous summary this process gave (or since it started), so a
// dashboard polling it sees the current rate.
//
// Thread safety: Summarize from any thread.
#pragma once

#include <chrono>
#include <mutex>
#include <vector>

#include <prometheus/metric_family.h>
#include <nlohmann/json.hpp>

namespace keel::http {

class MetricsSummary {
 public:
  nlohmann::json Summarize(const std::vector<prometheus::MetricFamily>& families);

 private:
  std::mutex mutex_;
  std::chrono::steady_clock::time_point last_at_{};  // GUARDED_BY(mutex_)
  double last_requests_ = 0, last_errors_ = 0;       // GUARDED_BY(mutex_)
};

// The q-quantile (0..1) of a histogram's cumulative buckets (upper bound, count), linearly interpolated
// inside the bucket it falls in, as Prometheus's histogram_quantile does; 0 with no observations.
double HistogramQuantile(const std::vector<std::pair<double, double>>& buckets, double q);

}  // namespace keel::http
