// Publish/subscribe through Redis (kv.url redis://): one connection publishes, another holds a pattern
// subscription to every channel under this deployment's prefix and hands each message to the local
// subscribers of its channel. Both run on one reactor thread of their own and reconnect by themselves; the
// subscription is renewed after each reconnect (what was published meanwhile is not delivered).
//
// Thread safety: as PubSub.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include <prometheus/counter.h>

#include "core/metrics.hpp"
#include "storage/kv/redis/redis_connection.hpp"
#include "storage/pubsub/pubsub.hpp"
#include "storage/pubsub/subscribers.hpp"

namespace boost::asio {
class io_context;
}

namespace keel::pubsub {

class RedisPubSub final : public PubSub {
 public:
  RedisPubSub(kv::RedisEndpoint endpoint, std::string prefix, Metrics& metrics);
  ~RedisPubSub() override;

  void Publish(std::string channel, std::string message) override;
  std::unique_ptr<Subscription> Subscribe(std::string channel, Handler handler) override;

 private:
  const std::string prefix_;
  std::shared_ptr<Subscribers> subscribers_;
  prometheus::Counter& published_;
  prometheus::Counter& publish_failures_;
  prometheus::Counter& received_;
  prometheus::Counter& subscribed_;
  std::unique_ptr<boost::asio::io_context> io_;
  std::unique_ptr<kv::RedisConnection> publisher_;   // on io_'s thread only
  std::unique_ptr<kv::RedisConnection> subscriber_;  // on io_'s thread only
  std::thread thread_;
};

}  // namespace keel::pubsub
