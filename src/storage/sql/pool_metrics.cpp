// PoolMetrics: registration and updates.
#include "storage/sql/pool_metrics.hpp"

namespace keel::sql {

namespace {

prometheus::Gauge& Connections(Metrics& metrics, const char* state) {
  return prometheus::BuildGauge()
      .Name("keel_db_pool_connections")
      .Help("SQL connections by state.")
      .Register(metrics.registry())
      .Add({{"state", state}});
}

}  // namespace

PoolMetrics::PoolMetrics(Metrics& metrics)
    : idle_(Connections(metrics, "idle")),
      in_use_(Connections(metrics, "in_use")),
      waiters_(prometheus::BuildGauge()
                   .Name("keel_db_pool_waiters")
                   .Help("Requests waiting for a free SQL connection.")
                   .Register(metrics.registry())
                   .Add({})),
      acquire_timeouts_(prometheus::BuildCounter()
                            .Name("keel_db_pool_acquire_timeouts_total")
                            .Help("Requests that gave up waiting for a SQL connection.")
                            .Register(metrics.registry())
                            .Add({})) {}

void PoolMetrics::Set(std::size_t idle, std::size_t in_use, std::size_t waiters) {
  idle_.Set(static_cast<double>(idle));
  in_use_.Set(static_cast<double>(in_use));
  waiters_.Set(static_cast<double>(waiters));
}

}  // namespace keel::sql
