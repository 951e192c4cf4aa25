// Where a Redis command goes, for the three shapes kv.url may name: the one node (single), the master that
// owns the key's hash slot (Redis Cluster, following MOVED and ASK), or the master the Sentinels name
// (following +switch-master). The KV store and pub/sub send through one; neither knows which shape it is.
//
// Thread safety: none. A topology, its connections and its timers live on one reactor thread; Send runs
// there, and `done` runs there, exactly once, possibly before Send returns.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/kv/redis/redis_connection.hpp"
#include "storage/kv/redis/redis_metrics.hpp"
#include "storage/kv/redis/redis_url.hpp"

namespace boost::asio {
class io_context;
}

namespace keel::kv {

struct RedisNodeState {
  std::string node;  // host:port
  std::string role;  // "master", "replica" (not used for commands), "sentinel"
  bool reachable = false;
};

struct RedisTopologyOptions {
  int connections = 2;                     // per data node
  std::chrono::milliseconds timeout{250};  // per command, and the longest a command waits for a master
};

// A command on its way through a cluster or sentinel topology (redirected, retried, parked until a master is
// known): answered exactly once, whatever happens to it meanwhile.
struct PendingCommand {
  std::vector<std::string> args;
  RedisConnection::Done done;
  std::chrono::steady_clock::time_point deadline;  // it is answered by then, at the latest
  int slot = -1;                                   // cluster: its key's slot; -1 for any master
  int redirects = 0;                               // cluster: MOVED and ASK followed so far
  bool parked = false;                             // waiting for a node to be named (its timer answers it)
  bool finished = false;

  void Finish(Result<RedisReply> reply) {
    if (finished) return;
    finished = true;
    auto deliver = std::move(done);
    deliver(std::move(reply));
  }
};

class RedisTopology {
 public:
  virtual ~RedisTopology() = default;

  // Sends a command about `key` (its slot picks the node in a cluster; empty: any master will do).
  virtual void Send(std::string_view key, std::vector<std::string> args, RedisConnection::Done done) = 0;
  // The nodes this process knows and whether each answers, for /ready.
  virtual std::vector<RedisNodeState> Nodes() const = 0;
  // A node on which a subscription hears every PUBLISH sent through this topology; none while unknown. It may
  // change (a failover): subscribers ask again when theirs stops answering.
  virtual std::optional<RedisEndpoint> SubscriptionNode() const = 0;
};

std::unique_ptr<RedisTopology> MakeRedisTopology(boost::asio::io_context& io, const RedisTarget& target,
                                                 const RedisTopologyOptions& options, RedisMetrics& metrics);

}  // namespace keel::kv
