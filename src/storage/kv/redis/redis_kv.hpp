// The Redis backend of KvStore: one store shared by every instance — caches, rate-limit counters (GCRA in one
// Lua script, so a limit holds across instances), login throttles. kv.url names one node, a Redis Cluster or
// a Sentinel-watched master (redis_url.hpp); every command touches one key, so each goes whole to the node
// that owns it.
//
// Commands run on a few pipelined connections per node driven by one reactor thread; callers resume on their
// own executors. While Redis is unreachable every call fails at once with kUnavailable (callers treat that as
// a cache miss or apply their fallback), `keel_kv_unavailable_total` counts them, and the connections keep
// reconnecting, so everything resumes when Redis is back.
//
// Thread safety: as KvStore.
#pragma once

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/metrics.hpp"
#include "storage/kv/kv_store.hpp"
#include "storage/kv/redis/redis_metrics.hpp"
#include "storage/kv/redis/redis_topology.hpp"
#include "storage/kv/redis/redis_url.hpp"

namespace boost::asio {
class io_context;
}

namespace keel::kv {

struct RedisKvOptions {
  RedisTarget target;
  int connections = 2;                     // per node
  std::chrono::milliseconds timeout{250};  // per command
  std::string key_prefix{};                // before every key: several deployments can share one Redis
};

class RedisKv final : public KvStore {
 public:
  RedisKv(const RedisKvOptions& options, Metrics& metrics);
  ~RedisKv() override;

  Task<Result<std::optional<std::string>>> Get(std::string key) override;
  Task<Result<void>> Set(std::string key, std::string value, Ttl ttl) override;
  Task<Result<bool>> Delete(std::string key) override;
  Task<Result<std::int64_t>> Increment(std::string key, std::int64_t delta, Ttl ttl) override;
  Task<Result<GcraDecision>> Gcra(std::string key, GcraParams params) override;
  // A PING answered, and (Cluster, Sentinel) every master the store uses answering.
  Task<Result<void>> Ping() override;
  Task<std::vector<KvNode>> Nodes() override;

 private:
  // Runs one command about `key` on its node and resumes the caller with its reply.
  Task<Result<RedisReply>> Command(std::string key, std::vector<std::string> args);
  // EVAL: Redis keeps the compiled script by its hash, so only the text travels again. Its keys share one
  // slot (a cluster refuses them otherwise): give them one hash tag.
  Task<Result<RedisReply>> Script(const char* body, std::vector<std::string> keys,
                                  std::vector<std::string> args);

  const std::string prefix_;
  const RedisMode mode_;
  RedisMetrics redis_metrics_;
  std::unique_ptr<boost::asio::io_context> io_;
  std::thread thread_;
  std::unique_ptr<RedisTopology> topology_;  // used on thread_ only
  prometheus::Counter& unavailable_;
  prometheus::Counter& timeouts_;
};

}  // namespace keel::kv
