// Publish/subscribe through Redis (kv.url's Redis forms): messages are published through the topology (any
// master), and one connection holds a pattern subscription to every channel under this deployment's prefix
// and hands each message to the local subscribers of its channel. Both run on one reactor thread of their own
// and reconnect by themselves; the subscription is renewed after each reconnect (what was published meanwhile
// is not delivered).
//
// In a Redis Cluster every node hears every PUBLISH (the cluster bus carries it), so the subscription may sit
// on any node; behind Sentinel it sits on the master. When its node stops answering, it moves to the node the
// topology names then. (Redis 7's sharded pub/sub has no pattern subscriptions, which this needs.)
//
// Thread safety: as PubSub.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include <prometheus/counter.h>
#include <boost/asio/steady_timer.hpp>

#include "core/metrics.hpp"
#include "storage/kv/redis/redis_connection.hpp"
#include "storage/kv/redis/redis_metrics.hpp"
#include "storage/kv/redis/redis_topology.hpp"
#include "storage/kv/redis/redis_url.hpp"
#include "storage/pubsub/pubsub.hpp"
#include "storage/pubsub/subscribers.hpp"

namespace boost::asio {
class io_context;
}

namespace keel::pubsub {

class RedisPubSub final : public PubSub {
 public:
  RedisPubSub(kv::RedisTarget target, std::string prefix, Metrics& metrics);
  ~RedisPubSub() override;

  void Publish(std::string channel, std::string message) override;
  std::unique_ptr<Subscription> Subscribe(std::string channel, Handler handler) override;

 private:
  // (Re)subscribes on the topology's subscription node when there is no subscriber yet or its node stopped
  // answering; then looks again in a while.
  void WatchSubscriber();

  const std::string prefix_;
  std::shared_ptr<Subscribers> subscribers_;
  prometheus::Counter& published_;
  prometheus::Counter& publish_failures_;
  prometheus::Counter& received_;
  prometheus::Counter& subscribed_;
  kv::RedisMetrics redis_metrics_;
  std::unique_ptr<boost::asio::io_context> io_;
  // On io_'s thread only:
  std::unique_ptr<kv::RedisTopology> topology_;
  std::unique_ptr<kv::RedisConnection> subscriber_;
  std::unique_ptr<boost::asio::steady_timer> watch_;
  std::thread thread_;
};

}  // namespace keel::pubsub
