// Chooses the PubSub backend from kv.url, as the KV store does.
#include "core/config.hpp"
#include "storage/kv/redis/redis_kv.hpp"
#include "storage/pubsub/local_pubsub.hpp"
#include "storage/pubsub/redis_pubsub.hpp"

namespace keel::pubsub {

Result<std::unique_ptr<PubSub>> OpenPubSub(const Config& config, Metrics& metrics) {
  const std::string& url = config.String("kv.url");
  if (!url.starts_with("redis://")) return std::unique_ptr<PubSub>(std::make_unique<LocalPubSub>());
  auto endpoint = kv::ParseRedisUrl(url);
  if (!endpoint) return std::move(endpoint).error();
  return std::unique_ptr<PubSub>(std::make_unique<RedisPubSub>(
      std::move(endpoint).value(), config.String("kv.key_prefix") + "pubsub:", metrics));
}

}  // namespace keel::pubsub
