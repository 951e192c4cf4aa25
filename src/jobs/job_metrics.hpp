// The queue's Prometheus metrics: throughput per queue and kind, durations, start delay, depth and oldest
// ready job per queue (what an autoscaler reads), workers, lease expiries and refused late writes.
//
// Thread safety: all methods are safe from any thread (prometheus-cpp families lock internally).
#pragma once

#include <string>

#include "core/metrics.hpp"
#include "jobs/job_store.hpp"

namespace keel::jobs {

class JobMetrics {
 public:
  explicit JobMetrics(Metrics& metrics);

  void Enqueued(const std::string& queue, const std::string& kind);
  void Started(const ClaimedJob& job);  // observes the delay from ready (run_at) to start
  void Completed(const std::string& queue, const std::string& kind, double seconds);
  void Failed(const std::string& queue, const std::string& kind, double seconds, bool discarded);
  void Rescued(const std::string& queue, const std::string& kind, bool discarded);
  void Fenced(const std::string& queue);
  void Workers(const std::string& queue, int busy, int total);
  void Depths(const std::vector<QueueDepth>& depths, std::int64_t now_ms);

 private:
  prometheus::Family<prometheus::Counter>& enqueued_;
  prometheus::Family<prometheus::Counter>& completed_;
  prometheus::Family<prometheus::Counter>& failed_;
  prometheus::Family<prometheus::Counter>& discarded_;
  prometheus::Family<prometheus::Counter>& rescued_;
  prometheus::Family<prometheus::Counter>& fenced_;
  prometheus::Family<prometheus::Histogram>& duration_;
  prometheus::Family<prometheus::Histogram>& start_delay_;
  prometheus::Family<prometheus::Gauge>& depth_;
  prometheus::Family<prometheus::Gauge>& oldest_age_;
  prometheus::Family<prometheus::Gauge>& workers_;
};

}  // namespace keel::jobs
