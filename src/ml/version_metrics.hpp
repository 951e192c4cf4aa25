// Per-version metrics of the models that have a traffic plan, so an A/B test can be watched live: requests,
// latency and the distribution of predictions, by model, version and role ("served" answers clients,
// "shadow" answers a copy that is logged and never returned). Only planned models get these series: the
// thousands of on-demand models must not make thousands of series.
//
// Thread safety: Series and the returned pointers are safe from any thread.
#pragma once

#include <chrono>
#include <span>
#include <string>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/summary.h>

#include "core/metrics.hpp"

namespace keel::ml {

// One (model, version, role)'s series.
struct VersionSeries {
  prometheus::Counter* requests = nullptr;
  prometheus::Histogram* latency = nullptr;
  prometheus::Summary* predictions = nullptr;

  // One request's answer: its latency and every prediction it carried.
  void Observe(std::chrono::steady_clock::duration latency, std::span<const double> values) const;
};

class VersionMetrics {
 public:
  explicit VersionMetrics(Metrics& metrics);
  // The series of one model version in one role, created on first use and the same ever after.
  VersionSeries Series(const std::string& model, const std::string& version, const std::string& role);

 private:
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& latency_;
  prometheus::Family<prometheus::Summary>& predictions_;
};

}  // namespace keel::ml
