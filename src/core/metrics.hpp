// The process's Prometheus registry and the text exposition served at /metrics.
//
// Thread safety: Registry and the metrics it hands out are thread-safe; Serialize may run on any thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace keel {

class Metrics {
 public:
  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  prometheus::Registry& registry() { return *registry_; }

  // Everything registered plus process metrics (memory, CPU, fds, start time, build info), in text format
  // 0.0.4.
  std::string Serialize() const;
  // The same, as values (for the JSON summary).
  std::vector<prometheus::MetricFamily> Collect() const;

 private:
  class ProcessCollector;
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<ProcessCollector> process_;
};

}  // namespace keel
