// What kv.url names when it names Redis: one node, a Redis Cluster (found from any of its nodes), or the
// master a set of Sentinels watches.
//
//   redis://[:PASSWORD@]HOST[:PORT][/DB]
//   redis-cluster://[:PASSWORD@]HOST:PORT,HOST:PORT,...            (no database: a cluster has only 0)
//   redis-sentinel://[:PASSWORD@]HOST:PORT,HOST:PORT,.../MASTER[/DB] (the password is the master's)
#pragma once

#include <string>
#include <vector>

#include "core/result.hpp"
#include "storage/kv/redis/redis_connection.hpp"

namespace keel::kv {

enum class RedisMode { kSingle, kCluster, kSentinel };

struct RedisTarget {
  RedisMode mode = RedisMode::kSingle;
  // kSingle: the node; kCluster: nodes to learn the slot map from; kSentinel: the sentinels. Each carries the
  // password and database of the data nodes (sentinels are asked without them).
  std::vector<RedisEndpoint> nodes;
  std::string master_name{};  // kSentinel only
};

// Parses redis://[:password@]host[:port][/db].
Result<RedisEndpoint> ParseRedisUrl(const std::string& url);
// Parses any of the three forms above.
Result<RedisTarget> ParseRedisTarget(const std::string& url);
// True when the URL names Redis in one of the three forms (by its scheme alone).
bool IsRedisUrl(const std::string& url);

}  // namespace keel::kv
