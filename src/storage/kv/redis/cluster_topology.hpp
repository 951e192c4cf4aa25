// Redis Cluster: the slot map read with CLUSTER SLOTS from any node that answers, each command sent to the
// master that owns its key's slot over that node's pooled connections. MOVED updates the slot's owner (and
// re-reads the whole map soon after: a failover or resharding moved more than one slot); ASK sends the one
// command to the importing node after ASKING; TRYAGAIN and CLUSTERDOWN are retried until the command's time
// runs out. At most kMaxRedirects redirects per command. A master that stops answering makes its commands
// fail at once (their callers degrade) and the map is re-read every kRecheck until its replica's promotion
// shows up in it.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/steady_timer.hpp>

#include "storage/kv/redis/node_pool.hpp"
#include "storage/kv/redis/redis_topology.hpp"

namespace keel::kv {

class ClusterTopology final : public RedisTopology {
 public:
  static constexpr int kMaxRedirects = 5;
  static constexpr std::chrono::milliseconds kRecheck{250};

  ClusterTopology(boost::asio::io_context& io, std::vector<RedisEndpoint> seeds,
                  const RedisTopologyOptions& options, RedisMetrics& metrics);
  ~ClusterTopology() override;

  void Send(std::string_view key, std::vector<std::string> args, RedisConnection::Done done) override;
  std::vector<RedisNodeState> Nodes() const override;
  std::optional<RedisEndpoint> SubscriptionNode() const override;

 private:
  NodePool& PoolAt(const std::string& host, int port);
  NodePool* AnyMaster() const;
  void Dispatch(const std::shared_ptr<PendingCommand>& command);
  void OnReply(const std::shared_ptr<PendingCommand>& command, const std::string& answered_by,
               Result<RedisReply> reply);
  // Tries the command again after `delay`, or fails it with `error` when its time would run out first.
  void RetryLater(const std::shared_ptr<PendingCommand>& command, std::chrono::milliseconds delay,
                  Error error);
  void Park(const std::shared_ptr<PendingCommand>& command);
  void Refresh();
  void RefreshSoon();
  void AskForSlots(std::size_t candidate);
  bool ApplySlots(const RedisReply& reply, const std::string& asked_host);
  void RetireStrangers();
  void FlushParked();
  void Tick();

  boost::asio::io_context& io_;
  const RedisEndpoint shared_;  // password (and database 0) every node gets
  const RedisTopologyOptions options_;
  RedisMetrics& metrics_;
  std::map<std::string, std::unique_ptr<NodePool>> pools_;  // by host:port; seeds and every master seen
  std::set<std::string> seeds_;                             // names of the nodes kv.url listed
  std::vector<std::unique_ptr<NodePool>> retired_;          // closed soon, on the reactor, not in a callback
  std::vector<NodePool*> slots_;                            // owner of each slot; null while unknown
  mutable std::size_t turn_ = 0;                            // where AnyMaster starts looking
  std::vector<std::shared_ptr<PendingCommand>> parked_;     // waiting for the map to name their node
  std::set<std::shared_ptr<PendingCommand>> retrying_;      // waiting for their retry's timer
  bool refreshing_ = false;
  bool refresh_again_ = false;
  std::chrono::steady_clock::time_point last_refresh_{};
  std::chrono::steady_clock::time_point last_full_refresh_{};
  boost::asio::steady_timer tick_;
  boost::asio::steady_timer soon_;  // a quick look again while no node answers yet and commands wait
  bool soon_scheduled_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace keel::kv
