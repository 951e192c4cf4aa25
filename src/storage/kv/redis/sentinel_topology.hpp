// Redis behind Sentinel: the sentinels are asked which node is the master (SENTINEL
// get-master-addr-by-name), and that node is used only once it says so itself (ROLE). Each sentinel's
// +switch-master announcement moves commands to the new master at once; a master that stops answering or
// answers READONLY (it was demoted) makes the sentinels be asked again, and its commands fail meanwhile
// (their callers degrade). The sentinels are asked again every kRecheck while no master is confirmed, and
// every kConfirmEvery regardless, in case an announcement was missed.
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
  void Discover();
  void AskSentinel(std::size_t index);
  // Makes host:port the master candidate (a new pool when it changed) and asks it for its ROLE.
  void UseMaster(const std::string& host, int port);
  void Confirm();
  void OnAnnouncement(const std::string& message);
  void FlushWaiting();
  void Tick();

  boost::asio::io_context& io_;
  const RedisEndpoint data_;  // password and database of the data nodes
  const std::string master_name_;
  const RedisTopologyOptions options_;
  RedisMetrics& metrics_;
  std::vector<std::unique_ptr<RedisConnection>> sentinels_;  // for questions
  std::vector<std::unique_ptr<RedisConnection>> listeners_;  // subscribed to +switch-master
  std::unique_ptr<NodePool> master_;
  bool confirmed_ = false;  // master_ said ROLE master since it was chosen
  bool discovering_ = false;
  bool confirming_ = false;
  int confirm_polls_ = 0;  // quick looks at a new master's opening connections
  std::chrono::steady_clock::time_point last_discovery_{};
  std::vector<std::shared_ptr<PendingCommand>> waiting_;  // for a confirmed master
  boost::asio::steady_timer tick_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace keel::kv
