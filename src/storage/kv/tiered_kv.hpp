// A two-level KV store for caches of immutable entries: an in-process near level in front of a shared far one
// (Redis), so a hit costs no round trip and an entry one instance computed is a hit on every other.
//
// Only for values that never change under a key (a prediction per model version and features): the near
// level is not invalidated by other instances. Counters and GCRA go to the far level alone.
//
// Thread safety: as KvStore.
#pragma once

#include <memory>

#include "storage/kv/kv_store.hpp"

namespace keel::kv {

class TieredKv final : public KvStore {
 public:
  // `near_ttl` bounds how long a value fetched from the far level is kept near (the far TTL is not known).
  TieredKv(std::unique_ptr<KvStore> near, KvStore& far, Ttl near_ttl);

  Task<Result<std::optional<std::string>>> Get(std::string key) override;
  Task<Result<void>> Set(std::string key, std::string value, Ttl ttl) override;
  Task<Result<bool>> Delete(std::string key) override;
  Task<Result<std::int64_t>> Increment(std::string key, std::int64_t delta, Ttl ttl) override;
  Task<Result<GcraDecision>> Gcra(std::string key, GcraParams params) override;
  Task<Result<void>> Ping() override;
  Task<std::vector<KvNode>> Nodes() override;

 private:
  std::unique_ptr<KvStore> near_;
  KvStore& far_;
  const Ttl near_ttl_;
};

}  // namespace keel::kv
