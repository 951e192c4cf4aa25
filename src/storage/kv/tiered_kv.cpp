// TieredKv: near first, far on a miss (filling near), writes to both.
#include "storage/kv/tiered_kv.hpp"

namespace keel::kv {

TieredKv::TieredKv(std::unique_ptr<KvStore> near, KvStore& far, Ttl near_ttl)
    : near_(std::move(near)), far_(far), near_ttl_(near_ttl) {}

Task<Result<std::optional<std::string>>> TieredKv::Get(std::string key) {
  auto near = co_await near_->Get(key);
  if (near && near->has_value()) co_return near;
  auto far = co_await far_.Get(key);
  if (!far || !far->has_value()) co_return far;  // a far failure reads as the caller's miss
  std::string copy = **far;
  (void)co_await near_->Set(std::move(key), std::move(copy), near_ttl_);
  co_return far;
}

Task<Result<void>> TieredKv::Set(std::string key, std::string value, Ttl ttl) {
  std::string near_key = key;
  std::string near_value = value;
  (void)co_await near_->Set(std::move(near_key), std::move(near_value), ttl);
  co_return co_await far_.Set(std::move(key), std::move(value), ttl);
}

Task<Result<bool>> TieredKv::Delete(std::string key) {
  std::string near_key = key;
  (void)co_await near_->Delete(std::move(near_key));
  co_return co_await far_.Delete(std::move(key));
}

Task<Result<std::int64_t>> TieredKv::Increment(std::string key, std::int64_t delta, Ttl ttl) {
  co_return co_await far_.Increment(std::move(key), delta, ttl);
}

Task<Result<GcraDecision>> TieredKv::Gcra(std::string key, GcraParams params) {
  co_return co_await far_.Gcra(std::move(key), params);
}

Task<Result<void>> TieredKv::Ping() { co_return co_await far_.Ping(); }

Task<std::vector<KvNode>> TieredKv::Nodes() { co_return co_await far_.Nodes(); }

}  // namespace keel::kv
