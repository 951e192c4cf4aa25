// RedisPubSub: the reactor thread, its two connections, and the prefix.
#include "storage/pubsub/redis_pubsub.hpp"

#include <pthread.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

namespace keel::pubsub {

namespace asio = boost::asio;

namespace {

// Publishing is fire and forget, but a reply that never comes must not hold its record for long.
constexpr std::chrono::milliseconds kPublishTimeout{1000};

prometheus::Counter& Count(Metrics& metrics, const std::string& name, const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(metrics.registry()).Add({});
}

}  // namespace

RedisPubSub::RedisPubSub(kv::RedisTarget target, std::string prefix, Metrics& metrics)
    : prefix_(std::move(prefix)),
      subscribers_(std::make_shared<Subscribers>()),
      published_(Count(metrics, "keel_pubsub_published_total", "Messages this process published to Redis.")),
      publish_failures_(Count(metrics, "keel_pubsub_publish_failures_total",
                              "Messages Redis did not take (unreachable): never delivered.")),
      received_(Count(metrics, "keel_pubsub_received_total", "Messages this process received from Redis.")),
      subscribed_(
          Count(metrics, "keel_pubsub_subscriptions_total",
                "Times this process's subscription was established: more than one means Redis went away "
                "and messages published meanwhile were missed.")),
      redis_metrics_(metrics, "pubsub"),
      io_(std::make_unique<asio::io_context>()) {
  topology_ =
      kv::MakeRedisTopology(*io_, target, {.connections = 1, .timeout = kPublishTimeout}, redis_metrics_);
  watch_ = std::make_unique<asio::steady_timer>(*io_);
  asio::post(*io_, [this] { WatchSubscriber(); });
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "keel-pubsub");
    auto work = asio::make_work_guard(*io_);
    io_->run();
  });
}

RedisPubSub::~RedisPubSub() {
  // The connections belong to the reactor thread: close them there, then let it finish.
  asio::post(*io_, [this] {
    watch_.reset();
    subscriber_.reset();
    topology_.reset();
    io_->stop();
  });
  if (thread_.joinable()) thread_.join();
}

void RedisPubSub::WatchSubscriber() {
  if (!watch_) return;  // closing
  auto home = topology_->SubscriptionNode();
  bool moved = subscriber_ && home && !subscriber_->Ready() &&
               (subscriber_->endpoint().host != home->host || subscriber_->endpoint().port != home->port);
  if ((!subscriber_ && home) || moved) {
    subscriber_ = std::make_unique<kv::RedisConnection>(*io_, *home, kPublishTimeout);
    subscriber_->SubscribePattern(
        prefix_ + "*",
        [this](std::string channel, std::string message) {
          received_.Increment();
          subscribers_->Deliver(channel.substr(prefix_.size()), message);
        },
        [this] {
          subscribed_.Increment();
          subscribers_->Deliver(std::string(kResubscribedChannel), "");
        });
  }
  // Soon while there is nowhere to subscribe yet (start-up), at a steady pace afterwards.
  watch_->expires_after(subscriber_ ? std::chrono::milliseconds(250) : std::chrono::milliseconds(10));
  watch_->async_wait([this](const boost::system::error_code& ec) {
    if (!ec) WatchSubscriber();
  });
}

void RedisPubSub::Publish(std::string channel, std::string message) {
  asio::post(*io_, [this, channel = prefix_ + channel, message = std::move(message)] {
    if (!topology_) return;
    // By the channel's slot in a cluster: one channel's messages all leave through one node, so they arrive
    // in the order they were published.
    topology_->Send(channel, {"PUBLISH", channel, message}, [this](Result<kv::RedisReply> reply) {
      if (reply)
        published_.Increment();
      else
        publish_failures_.Increment();
    });
  });
}

std::unique_ptr<Subscription> RedisPubSub::Subscribe(std::string channel, Handler handler) {
  return subscribers_->Add(std::move(channel), std::move(handler));
}

}  // namespace keel::pubsub
