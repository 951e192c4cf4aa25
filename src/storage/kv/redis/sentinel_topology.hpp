// Redis behind Sentinel: every sentinel is asked which node is the master (SENTINEL get-master-addr-by-name)
// and the address most of them name wins, so one sentinel cut off from the others cannot pull the store back
// to a demoted master. A node named master becomes a candidate and replaces the master in use only once it
// says so itself (ROLE); a confirmed master that answers is never replaced by a candidate that has not.
// Each sentinel's +switch-master announcement makes its new master the candidate at once. A master that
// stops answering, or answers READONLY (it was demoted), makes the sentinels be asked again, and its commands
// fail meanwhile (their callers degrade). The sentinels are asked every kRecheck while no master is
// confirmed and answering, and every kConfirmEvery regardless, in case an announcement was missed.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/steady_timer.hpp>

#include "storage/kv/redis/node_pool.hpp"
#include "storage/kv/redis/redis_topology.hpp"

namespace keel::kv {

class SentinelTopology final : public RedisTopology {
 public:
  static constexpr std::chrono::milliseconds kRecheck{200};
  static constexpr std::chrono::seconds kConfirmEvery{5};

  SentinelTopology(boost::asio::io_context& io, std::vector<RedisEndpoint> sentinels, std::string master_name,
                   const RedisTopologyOptions& options, RedisMetrics& metrics);
  ~SentinelTopology() override;

  void Send(std::string_view key, std::vector<std::string> args, RedisConnection::Done done) override;
  std::vector<RedisNodeState> Nodes() const override;
  std::optional<RedisEndpoint> SubscriptionNode() const override;

 private:
  // Asks every sentinel; the address most of them name is Considered.
  void Discover();
  // host:port as the master: the one in use is confirmed again; another becomes the candidate.
  void Consider(const std::string& host, int port);
  // ROLE on the candidate once its connections are open: "master" promotes it, anything else drops it.
  void CheckCandidate();
  void Promote();
  // ROLE on the master in use: a node that names another role is no longer used.
  void Confirm();
  void OnAnnouncement(const std::string& message);
  void Retire(std::unique_ptr<NodePool> pool);
  void FlushWaiting();
  void Tick();

  boost::asio::io_context& io_;
  const RedisEndpoint data_;  // password and database of the data nodes
  const std::string master_name_;
  const RedisTopologyOptions options_;
  RedisMetrics& metrics_;
  std::vector<std::unique_ptr<RedisConnection>> sentinels_;  // for questions
  std::vector<std::unique_ptr<RedisConnection>> listeners_;  // subscribed to +switch-master
  std::unique_ptr<NodePool> master_;                         // in use once confirmed_
  bool confirmed_ = false;
  std::unique_ptr<NodePool> candidate_;  // named master, not yet confirmed by its ROLE
  bool checking_ = false;                // a ROLE to the candidate is on its way
  int candidate_polls_ = 0;              // quick looks at the candidate's opening connections
  bool confirming_ = false;              // a ROLE to the master is on its way
  bool discovering_ = false;
  std::chrono::steady_clock::time_point last_discovery_{};
  std::vector<std::unique_ptr<NodePool>> retired_;        // closed soon, on the reactor, not in a callback
  std::vector<std::shared_ptr<PendingCommand>> waiting_;  // for a confirmed master
  boost::asio::steady_timer tick_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace keel::kv
