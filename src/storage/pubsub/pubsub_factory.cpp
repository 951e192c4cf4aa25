// Chooses the PubSub backend from kv.url, as the KV store does.
#include "core/config.hpp"
#include "storage/kv/redis/redis_url.hpp"
#include "storage/pubsub/local_pubsub.hpp"
#include "storage/pubsub/redis_pubsub.hpp"

namespace keel::pubsub {

Result<std::unique_ptr<PubSub>> OpenPubSub(const Config& config, Metrics& metrics) {
  const std::string& url = config.String("kv.url");
  if (!kv::IsRedisUrl(url)) return std::unique_ptr<PubSub>(std::make_unique<LocalPubSub>());
  auto target = kv::ParseRedisTarget(url);
  if (!target) return std::move(target).error();
  return std::unique_ptr<PubSub>(std::make_unique<RedisPubSub>(
      std::move(target).value(), config.String("kv.key_prefix") + "pubsub:", metrics));
}

}  // namespace keel::pubsub
