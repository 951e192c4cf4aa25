// The Redis metric families, registered once per registry (prometheus-cpp merges identical registrations).
#include "storage/kv/redis/redis_metrics.hpp"

#include <utility>

namespace keel::kv {

namespace {

prometheus::Family<prometheus::Counter>& Family(Metrics& metrics, const char* name, const char* help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(metrics.registry());
}

}  // namespace

RedisMetrics::RedisMetrics(Metrics& metrics, std::string client)
    : client_(std::move(client)),
      commands_(Family(metrics, "keel_redis_commands_total", "Commands sent to each Redis node.")),
      errors_(
          Family(metrics, "keel_redis_errors_total",
                 "Commands to each Redis node that failed: an error reply (redirects included), no answer "
                 "in time, or the node unreachable.")),
      reconnects_(Family(metrics, "keel_redis_reconnects_total",
                         "Connections to each Redis node made again after one was lost.")),
      moved_(
          Family(
              metrics, "keel_redis_redirects_total",
              "Redis Cluster redirects followed: MOVED (the slot has a new owner) and ASK (it is migrating).")
              .Add({{"client", client_}, {"kind", "moved"}})),
      asked_(
          Family(
              metrics, "keel_redis_redirects_total",
              "Redis Cluster redirects followed: MOVED (the slot has a new owner) and ASK (it is migrating).")
              .Add({{"client", client_}, {"kind", "ask"}})),
      slot_refreshes_(Family(metrics, "keel_redis_slot_refreshes_total",
                             "Times the Redis Cluster slot map was read again (CLUSTER SLOTS).")
                          .Add({{"client", client_}})),
      master_changes_(Family(metrics, "keel_redis_master_changes_total",
                             "Times the Sentinels named another master and commands moved to it.")
                          .Add({{"client", client_}})) {}

RedisNodeCounters RedisMetrics::Node(const std::string& node) {
  const prometheus::Labels labels{{"client", client_}, {"node", node}};
  return RedisNodeCounters{&commands_.Add(labels), &errors_.Add(labels), &reconnects_.Add(labels)};
}

}  // namespace keel::kv
