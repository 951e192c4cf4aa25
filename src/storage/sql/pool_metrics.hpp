// The connection-pool metrics every SQL backend reports, under one set of names.
//
// Thread safety: prometheus-cpp metrics are safe to update from any thread.
#pragma once

#include <cstddef>

#include "core/metrics.hpp"

namespace keel::sql {

class PoolMetrics {
 public:
  explicit PoolMetrics(Metrics& metrics);

  // keel_db_pool_connections{state=idle|in_use} and keel_db_pool_waiters.
  void Set(std::size_t idle, std::size_t in_use, std::size_t waiters);
  // keel_db_pool_acquire_timeouts_total.
  void AcquireTimedOut() { acquire_timeouts_.Increment(); }

 private:
  prometheus::Gauge& idle_;
  prometheus::Gauge& in_use_;
  prometheus::Gauge& waiters_;
  prometheus::Counter& acquire_timeouts_;
};

}  // namespace keel::sql
