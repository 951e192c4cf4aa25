// Chooses the KvStore backend from kv.url.
#include <fmt/format.h>

#include "core/config.hpp"
#include "storage/kv/kv_store.hpp"
#include "storage/kv/memory/memory_kv.hpp"
#include "storage/kv/redis/redis_kv.hpp"

namespace keel::kv {

Result<std::unique_ptr<KvStore>> OpenKvStore(const Config& config, const Clock& clock, Metrics& metrics) {
  const std::string& url = config.String("kv.url");
  if (IsRedisUrl(url)) {
    auto target = ParseRedisTarget(url);
    if (!target) return std::move(target).error();
    RedisKvOptions options;
    options.target = std::move(target).value();
    options.connections = static_cast<int>(config.Int("kv.connections"));
    options.timeout = std::chrono::milliseconds(config.Int("kv.timeout_ms"));
    options.key_prefix = config.String("kv.key_prefix");
    return std::unique_ptr<KvStore>(std::make_unique<RedisKv>(options, metrics));
  }
  if (url.rfind("memory://", 0) != 0)
    return Error{ErrorCode::kInvalidArgument, fmt::format("kv.url: unsupported scheme in {}", url)};
  MemoryKvOptions options;
  options.max_bytes = static_cast<std::size_t>(config.Int("kv.max_bytes"));
  options.shards = static_cast<std::size_t>(config.Int("kv.shards"));
  return std::unique_ptr<KvStore>(std::make_unique<MemoryKv>(options, clock, &metrics));
}

}  // namespace keel::kv
