// NodePool: round robin over the answering connections, and the node's counters.
#include "storage/kv/redis/node_pool.hpp"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

namespace keel::kv {

std::string NodeName(const RedisEndpoint& endpoint) {
  return fmt::format("{}:{}", endpoint.host, endpoint.port);
}

NodePool::NodePool(boost::asio::io_context& io, RedisEndpoint endpoint, int connections,
                   std::chrono::milliseconds timeout, RedisMetrics& metrics)
    : endpoint_(std::move(endpoint)), name_(NodeName(endpoint_)), counters_(metrics.Node(name_)) {
  for (int i = 0; i < std::max(1, connections); ++i) {
    connections_.push_back(std::make_unique<RedisConnection>(io, endpoint_, timeout));
    connections_.back()->OnReconnect([reconnects = counters_.reconnects] { reconnects->Increment(); });
  }
}

bool NodePool::Ready() const {
  return std::any_of(connections_.begin(), connections_.end(), [](const auto& c) { return c->Ready(); });
}

bool NodePool::EverReady() const {
  return std::any_of(connections_.begin(), connections_.end(), [](const auto& c) { return c->EverReady(); });
}

RedisConnection* NodePool::Next() {
  for (std::size_t tried = 0; tried < connections_.size(); ++tried) {
    RedisConnection* connection = connections_[turn_++ % connections_.size()].get();
    if (connection->Ready()) return connection;
  }
  return connections_[turn_++ % connections_.size()].get();  // none answers: it says so through `done`
}

RedisConnection::Done NodePool::Counted(RedisConnection::Done done) {
  counters_.commands->Increment();
  return [errors = counters_.errors, done = std::move(done)](Result<RedisReply> reply) {
    if (!reply) errors->Increment();
    done(std::move(reply));
  };
}

void NodePool::Send(const std::vector<std::string>& args, RedisConnection::Done done) {
  Next()->Send(args, Counted(std::move(done)));
}

void NodePool::SendAsking(const std::vector<std::string>& args, RedisConnection::Done done) {
  RedisConnection* connection = Next();
  connection->Send({"ASKING"}, [](Result<RedisReply>) {});
  connection->Send(args, Counted(std::move(done)));
}

}  // namespace keel::kv
