// The Redis backend of KvStore (kv.url = redis://[:password@]host:port[/db]): one store shared by every
// instance — caches, rate-limit counters (GCRA in one Lua script, so a limit holds across instances), login
// throttles.
//
// Commands run on a few pipelined connections driven by one reactor thread; callers resume on their own
// executors. While Redis is unreachable every call fails at once with kUnavailable (callers treat that as a
// cache miss or apply their fallback), `keel_kv_unavailable_total` counts them, and the connections keep
// reconnecting, so everything resumes when Redis is back.
//
// Thread safety: as KvStore.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/metrics.hpp"
#include "storage/kv/kv_store.hpp"
#include "storage/kv/redis/redis_connection.hpp"

namespace boost::asio {
class io_context;
}

namespace keel::kv {

struct RedisKvOptions {
  RedisEndpoint endpoint;
  int connections = 2;
  std::chrono::milliseconds timeout{250};  // per command
  std::string key_prefix{};                // before every key: several deployments can share one Redis
};

// Parses redis://[:password@]host[:port][/db].
Result<RedisEndpoint> ParseRedisUrl(const std::string& url);

class RedisKv final : public KvStore {
 public:
  RedisKv(const RedisKvOptions& options, Metrics& metrics);
  ~RedisKv() override;

  Task<Result<std::optional<std::string>>> Get(std::string key) override;
  Task<Result<void>> Set(std::string key, std::string value, Ttl ttl) override;
  Task<Result<bool>> Delete(std::string key) override;
  Task<Result<std::int64_t>> Increment(std::string key, std::int64_t delta, Ttl ttl) override;
  Task<Result<GcraDecision>> Gcra(std::string key, GcraParams params) override;
  Task<Result<void>> Ping() override;

 private:
  // Runs one command on the next connection (round robin) and resumes the caller with its reply.
  Task<Result<RedisReply>> Command(std::vector<std::string> args);
  // EVAL: Redis keeps the compiled script by its hash, so only the text travels again.
  Task<Result<RedisReply>> Script(const char* body, std::vector<std::string> keys,
                                  std::vector<std::string> args);

  const std::string prefix_;
  const std::size_t connection_count_;
  std::unique_ptr<boost::asio::io_context> io_;
  std::thread thread_;
  std::vector<std::unique_ptr<RedisConnection>> connections_;  // used on thread_ only
  std::atomic<std::size_t> next_{0};
  prometheus::Counter& unavailable_;
  prometheus::Counter& timeouts_;
};

}  // namespace keel::kv
