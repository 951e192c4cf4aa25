// Per-node Redis metrics, shared by the KV store and pub/sub (label client="kv"|"pubsub"): commands sent,
// commands that failed (error replies, time-outs, an unreachable node), reconnects; and per client: cluster
// redirects by kind, slot-map refreshes, and master changes learnt from Sentinel.
#pragma once

#include <string>

#include <prometheus/counter.h>
#include <prometheus/family.h>

#include "core/metrics.hpp"

namespace keel::kv {

struct RedisNodeCounters {
  prometheus::Counter* commands = nullptr;
  prometheus::Counter* errors = nullptr;
  prometheus::Counter* reconnects = nullptr;
};

class RedisMetrics {
 public:
  RedisMetrics(Metrics& metrics, std::string client);

  RedisNodeCounters Node(const std::string& node);
  prometheus::Counter& moved() { return moved_; }
  prometheus::Counter& asked() { return asked_; }
  prometheus::Counter& slot_refreshes() { return slot_refreshes_; }
  prometheus::Counter& master_changes() { return master_changes_; }

 private:
  const std::string client_;
  prometheus::Family<prometheus::Counter>& commands_;
  prometheus::Family<prometheus::Counter>& errors_;
  prometheus::Family<prometheus::Counter>& reconnects_;
  prometheus::Counter& moved_;
  prometheus::Counter& asked_;
  prometheus::Counter& slot_refreshes_;
  prometheus::Counter& master_changes_;
};

}  // namespace keel::kv
