// MemoryKv: sharded LRU with TTL and a byte budget.
#include "storage/kv/memory/memory_kv.hpp"

#include <algorithm>
#include <charconv>
#include <functional>

namespace keel::kv {

MemoryKv::MemoryKv(MemoryKvOptions options, const Clock& clock, Metrics* metrics)
    : clock_(clock),
      shard_budget_(options.max_bytes / std::max<std::size_t>(1, options.shards)),
      shards_(std::max<std::size_t>(1, options.shards)) {
  if (metrics != nullptr) {
    evictions_ = &prometheus::BuildCounter()
                      .Name("keel_kv_evictions_total")
                      .Help("Entries evicted from the in-process KV store to stay within its byte budget.")
                      .Register(metrics->registry())
                      .Add({});
  }
}

MemoryKv::Shard& MemoryKv::ShardFor(const std::string& key) {
  return shards_[std::hash<std::string>()(key) % shards_.size()];
}

bool MemoryKv::Expired(const Entry& entry, Clock::TimePoint now) const {
  return entry.expires_at != Clock::TimePoint{} && entry.expires_at <= now;
}

Clock::TimePoint MemoryKv::ExpiryFor(Ttl ttl) const {
  return ttl == kNoExpiry ? Clock::TimePoint{} : clock_.Now() + ttl;
}

void MemoryKv::Erase(Shard& shard, std::list<Entry>::iterator it) {
  shard.bytes -= it->key.size() + it->value.size() + kEntryOverhead;
  shard.index.erase(it->key);
  shard.lru.erase(it);
}

void MemoryKv::EvictFor(Shard& shard, std::size_t incoming) {
  while (!shard.lru.empty() && shard.bytes + incoming > shard_budget_) {
    Erase(shard, std::prev(shard.lru.end()));
    evictions_count_.fetch_add(1, std::memory_order_relaxed);
    if (evictions_ != nullptr) evictions_->Increment();
  }
}

std::optional<std::string> MemoryKv::GetNow(const std::string& key) {
  Shard& shard = ShardFor(key);
  std::lock_guard lock(shard.mutex);
  auto found = shard.index.find(key);
  if (found == shard.index.end()) return std::nullopt;
  if (Expired(*found->second, clock_.Now())) {
    Erase(shard, found->second);
    return std::nullopt;
  }
  shard.lru.splice(shard.lru.begin(), shard.lru, found->second);
  return found->second->value;
}

Result<void> MemoryKv::SetNow(const std::string& key, std::string value, Ttl ttl) {
  std::size_t cost = key.size() + value.size() + kEntryOverhead;
  if (cost > shard_budget_)
    return Error{ErrorCode::kTooLarge,
                 "value is larger than a KV shard's byte budget (kv.max_bytes / kv.shards)"};
  Shard& shard = ShardFor(key);
  std::lock_guard lock(shard.mutex);
  Put(shard, key, std::move(value), ExpiryFor(ttl));
  return Ok();
}

bool MemoryKv::DeleteNow(const std::string& key) {
  Shard& shard = ShardFor(key);
  std::lock_guard lock(shard.mutex);
  auto found = shard.index.find(key);
  if (found == shard.index.end()) return false;
  bool live = !Expired(*found->second, clock_.Now());
  Erase(shard, found->second);
  return live;
}

std::int64_t MemoryKv::IncrementNow(const std::string& key, std::int64_t delta, Ttl ttl) {
  Shard& shard = ShardFor(key);
  std::lock_guard lock(shard.mutex);
  auto found = shard.index.find(key);
  if (found != shard.index.end() && !Expired(*found->second, clock_.Now())) {
    Entry& entry = *found->second;
    std::int64_t current = 0;
    std::from_chars(entry.value.data(), entry.value.data() + entry.value.size(), current);
    current += delta;
    std::string text = std::to_string(current);
    shard.bytes += text.size();
    shard.bytes -= entry.value.size();
    entry.value = std::move(text);
    shard.lru.splice(shard.lru.begin(), shard.lru, found->second);
    return current;
  }
  Put(shard, key, std::to_string(delta), ExpiryFor(ttl));
  return delta;
}

void MemoryKv::Put(Shard& shard, const std::string& key, std::string value, Clock::TimePoint expires_at) {
  if (auto found = shard.index.find(key); found != shard.index.end()) Erase(shard, found->second);
  std::size_t cost = key.size() + value.size() + kEntryOverhead;
  EvictFor(shard, cost);
  shard.lru.push_front(Entry{key, std::move(value), expires_at});
  shard.index.emplace(key, shard.lru.begin());
  shard.bytes += cost;
}

GcraDecision MemoryKv::GcraNow(const std::string& key, GcraParams params) {
  using std::chrono::nanoseconds;
  const auto interval = params.emission_interval;
  const auto tolerance = interval * std::max<std::int64_t>(1, params.burst);  // how far ahead TAT may run
  Shard& shard = ShardFor(key);
  std::lock_guard lock(shard.mutex);
  const auto now = clock_.Now();
  auto tat = now;
  if (auto found = shard.index.find(key); found != shard.index.end() && !Expired(*found->second, now)) {
    long long stored = 0;
    std::from_chars(found->second->value.data(), found->second->value.data() + found->second->value.size(),
                    stored);
    tat = std::max(now, Clock::TimePoint(nanoseconds(stored)));
  }
  const auto new_tat = tat + interval;
  GcraDecision decision;
  if (new_tat - now > tolerance) {
    decision.allowed = false;
    decision.retry_after = (new_tat - tolerance) - now;
    decision.reset_after = tat - now;
    decision.remaining = 0;
    return decision;
  }
  // The state expires when the bucket is full again; nothing to remember after that.
  Put(shard, key, std::to_string(new_tat.time_since_epoch().count()), new_tat);
  decision.reset_after = new_tat - now;
  decision.remaining = (tolerance - (new_tat - now)) / interval;
  return decision;
}

std::size_t MemoryKv::Bytes() const {
  std::size_t total = 0;
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    total += shard.bytes;
  }
  return total;
}

std::size_t MemoryKv::Size() const {
  std::size_t total = 0;
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    total += shard.index.size();
  }
  return total;
}

Task<Result<std::optional<std::string>>> MemoryKv::Get(std::string key) { co_return GetNow(key); }

Task<Result<void>> MemoryKv::Set(std::string key, std::string value, Ttl ttl) {
  co_return SetNow(key, std::move(value), ttl);
}

Task<Result<bool>> MemoryKv::Delete(std::string key) { co_return DeleteNow(key); }

Task<Result<std::int64_t>> MemoryKv::Increment(std::string key, std::int64_t delta, Ttl ttl) {
  co_return IncrementNow(key, delta, ttl);
}

Task<Result<GcraDecision>> MemoryKv::Gcra(std::string key, GcraParams params) {
  co_return GcraNow(key, params);
}

Task<Result<void>> MemoryKv::Ping() { co_return Ok(); }

}  // namespace keel::kv
