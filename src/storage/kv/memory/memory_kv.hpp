// The in-process KV store: N shards, each an LRU list with TTLs under its own mutex, bounded in bytes.
//
// Thread safety: all methods are safe from any thread; a shard's lock is held only for map and list updates.
#pragma once

#include <atomic>
#include <cstddef>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/clock.hpp"
#include "core/metrics.hpp"
#include "storage/kv/kv_store.hpp"

namespace keel::kv {

struct MemoryKvOptions {
  std::size_t max_bytes = 64 << 20;  // budget over all shards, counting keys, values and per-entry overhead
  std::size_t shards = 16;
};

class MemoryKv final : public KvStore {
 public:
  // Bytes charged per entry beyond its key and value (list node, map slot, bookkeeping).
  static constexpr std::size_t kEntryOverhead = 96;

  MemoryKv(MemoryKvOptions options, const Clock& clock, Metrics* metrics = nullptr);

  // Synchronous forms; they never block on I/O, so the Task forms simply wrap them.
  std::optional<std::string> GetNow(const std::string& key);
  Result<void> SetNow(const std::string& key, std::string value, Ttl ttl);
  bool DeleteNow(const std::string& key);
  std::int64_t IncrementNow(const std::string& key, std::int64_t delta, Ttl ttl);
  GcraDecision GcraNow(const std::string& key, GcraParams params);

  std::size_t Bytes() const;
  std::size_t Size() const;
  // Entries evicted to make room (not expired ones) since construction.
  std::uint64_t Evictions() const { return evictions_count_.load(std::memory_order_relaxed); }

  Task<Result<std::optional<std::string>>> Get(std::string key) override;
  Task<Result<void>> Set(std::string key, std::string value, Ttl ttl) override;
  Task<Result<bool>> Delete(std::string key) override;
  Task<Result<std::int64_t>> Increment(std::string key, std::int64_t delta, Ttl ttl) override;
  Task<Result<GcraDecision>> Gcra(std::string key, GcraParams params) override;
  Task<Result<void>> Ping() override;

 private:
  struct Entry {
    std::string key;
    std::string value;
    Clock::TimePoint expires_at;  // time_point{} = never
  };
  struct Shard {
    mutable std::mutex mutex;
    std::list<Entry> lru;  // front = most recently used; GUARDED_BY(mutex)
    std::unordered_map<std::string, std::list<Entry>::iterator> index;  // GUARDED_BY(mutex)
    std::size_t bytes = 0;                                              // GUARDED_BY(mutex)
  };

  Shard& ShardFor(const std::string& key);
  bool Expired(const Entry& entry, Clock::TimePoint now) const;
  void Erase(Shard& shard, std::list<Entry>::iterator it);  // REQUIRES: shard.mutex held
  void EvictFor(Shard& shard, std::size_t incoming);        // REQUIRES: shard.mutex held
  // Inserts or replaces the value of key. REQUIRES: shard.mutex held.
  void Put(Shard& shard, const std::string& key, std::string value, Clock::TimePoint expires_at);
  Clock::TimePoint ExpiryFor(Ttl ttl) const;

  const Clock& clock_;
  const std::size_t shard_budget_;
  std::vector<Shard> shards_;
  prometheus::Counter* evictions_ = nullptr;
  std::atomic<std::uint64_t> evictions_count_{0};
};

}  // namespace keel::kv
