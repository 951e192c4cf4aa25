// The prediction cache: predictions keyed by model, version and the canonical feature row, so a new version
// never answers from its predecessor's entries. Backed by any KvStore (in-process by default; a shared Redis
// second level fits behind the same interface). Counts hits and misses per model.
//
// Thread safety: all methods are safe from any thread.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <prometheus/counter.h>

#include "core/async.hpp"
#include "core/metrics.hpp"
#include "ml/model_meta.hpp"
#include "storage/kv/kv_store.hpp"

namespace keel::ml {

class PredictionCache {
 public:
  PredictionCache(std::unique_ptr<kv::KvStore> store, kv::Ttl ttl, Metrics& metrics);

  static std::string Key(const ModelMeta& model, const std::vector<float>& row);

  // The cached prediction, counting a hit or a miss for `model`. A store failure counts as a miss.
  Task<std::optional<double>> Get(const std::string& model, const std::string& key);
  // Best effort: a store failure only costs a later miss.
  Task<void> Put(const std::string& key, double prediction);

  std::uint64_t hits() const { return hits_total_.load(std::memory_order_relaxed); }
  std::uint64_t misses() const { return misses_total_.load(std::memory_order_relaxed); }

 private:
  struct Counters {
    prometheus::Counter* hits;
    prometheus::Counter* misses;
  };
  Counters& For(const std::string& model);

  std::unique_ptr<kv::KvStore> store_;
  const kv::Ttl ttl_;
  prometheus::Family<prometheus::Counter>& hits_;
  prometheus::Family<prometheus::Counter>& misses_;
  std::mutex mutex_;
  std::map<std::string, Counters, std::less<>> counters_;  // GUARDED_BY(mutex_)
  std::atomic<std::uint64_t> hits_total_{0}, misses_total_{0};
};

}  // namespace keel::ml
