// A few pipelined connections to one Redis node, used in turn, with the node's counters.
//
// Thread safety: none; it lives on its store's reactor thread, as its connections do.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "storage/kv/redis/redis_connection.hpp"
#include "storage/kv/redis/redis_metrics.hpp"

namespace keel::kv {

// "host:port": how nodes are named in metrics, redirects and the slot map.
std::string NodeName(const RedisEndpoint& endpoint);

class NodePool {
 public:
  NodePool(boost::asio::io_context& io, RedisEndpoint endpoint, int connections,
           std::chrono::milliseconds timeout, RedisMetrics& metrics);

  const std::string& name() const { return name_; }
  const RedisEndpoint& endpoint() const { return endpoint_; }
  // True when at least one connection answers.
  bool Ready() const;
  // True once a connection has answered (so a pool not Ready now lost its node, rather than still opening).
  bool EverReady() const;

  // Sends on the next answering connection (kUnavailable through `done` when none answers).
  void Send(const std::vector<std::string>& args, RedisConnection::Done done);
  // ASKING, then the command, on one connection: Redis Cluster's answer to an ASK redirect, valid for the one
  // command that follows it on that connection.
  void SendAsking(const std::vector<std::string>& args, RedisConnection::Done done);

 private:
  RedisConnection* Next();
  RedisConnection::Done Counted(RedisConnection::Done done);

  const RedisEndpoint endpoint_;
  const std::string name_;
  RedisNodeCounters counters_;
  std::vector<std::unique_ptr<RedisConnection>> connections_;
  std::size_t turn_ = 0;
};

}  // namespace keel::kv
