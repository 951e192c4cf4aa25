// The single-node topology, and choosing one from kv.url's form.
#include "storage/kv/redis/redis_topology.hpp"

#include <utility>

#include "storage/kv/redis/cluster_topology.hpp"
#include "storage/kv/redis/node_pool.hpp"
#include "storage/kv/redis/sentinel_topology.hpp"

namespace keel::kv {

namespace {

class SingleTopology final : public RedisTopology {
 public:
  SingleTopology(boost::asio::io_context& io, RedisEndpoint node, const RedisTopologyOptions& options,
                 RedisMetrics& metrics)
      : pool_(io, std::move(node), options.connections, options.timeout, metrics) {}

  void Send(std::string_view, std::vector<std::string> args, RedisConnection::Done done) override {
    pool_.Send(args, std::move(done));
  }
  std::vector<RedisNodeState> Nodes() const override { return {{pool_.name(), "master", pool_.Ready()}}; }
  std::optional<RedisEndpoint> SubscriptionNode() const override { return pool_.endpoint(); }

 private:
  NodePool pool_;
};

}  // namespace

std::unique_ptr<RedisTopology> MakeRedisTopology(boost::asio::io_context& io, const RedisTarget& target,
                                                 const RedisTopologyOptions& options, RedisMetrics& metrics) {
  switch (target.mode) {
    case RedisMode::kCluster:
      return std::make_unique<ClusterTopology>(io, target.nodes, options, metrics);
    case RedisMode::kSentinel:
      return std::make_unique<SentinelTopology>(io, target.nodes, target.master_name, options, metrics);
    case RedisMode::kSingle:
      break;
  }
  return std::make_unique<SingleTopology>(io, target.nodes.front(), options, metrics);
}

}  // namespace keel::kv
