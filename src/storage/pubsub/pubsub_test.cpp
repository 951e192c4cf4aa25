// Publish/subscribe: the in-process backend, and the Redis one between two "processes" (two RedisPubSub on
// one Redis, each with its own connections) when KEEL_TEST_REDIS_URL names a server (`.ci/run` starts one).
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "core/random.hpp"
#include "storage/kv/redis/private_redis.hpp"
#include "storage/kv/redis/redis_kv.hpp"
#include "storage/pubsub/local_pubsub.hpp"
#include "storage/pubsub/redis_pubsub.hpp"

namespace keel::pubsub {
namespace {

// What one subscriber heard, waited for from the test's thread.
class Inbox {
 public:
  Handler handler() {
    return [this](const std::string& channel, const std::string& message) {
      std::lock_guard lock(mutex_);
      heard_.push_back(channel + "=" + message);
      arrived_.notify_all();
    };
  }
  std::vector<std::string> WaitFor(std::size_t count,
                                   std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    std::unique_lock lock(mutex_);
    arrived_.wait_for(lock, timeout, [&] { return heard_.size() >= count; });
    return heard_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::vector<std::string> heard_;
};

TEST(LocalPubSub, DeliversToTheChannelsSubscribersUntilTheyLeave) {
  LocalPubSub pubsub;
  Inbox first, second, other;
  auto a = pubsub.Subscribe("live.app-1", first.handler());
  auto b = pubsub.Subscribe("live.app-1", second.handler());
  auto c = pubsub.Subscribe("live.app-2", other.handler());
  pubsub.Publish("live.app-1", "one");
  b.reset();
  pubsub.Publish("live.app-1", "two");
  pubsub.Publish("nobody.listens", "three");
  EXPECT_EQ(first.WaitFor(2), (std::vector<std::string>{"live.app-1=one", "live.app-1=two"}));
  EXPECT_EQ(second.WaitFor(1), (std::vector<std::string>{"live.app-1=one"}));
  EXPECT_TRUE(other.WaitFor(0).empty());
}

TEST(LocalPubSub, ASubscriptionMayOutliveItsPubSub) {
  Inbox inbox;
  std::unique_ptr<Subscription> subscription;
  {
    LocalPubSub pubsub;
    subscription = pubsub.Subscribe("c", inbox.handler());
  }
  subscription.reset();  // no crash: the registry is gone, and the entry knows it
}

class RedisPubSubTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* url = std::getenv("KEEL_TEST_REDIS_URL");
    if (url == nullptr) GTEST_SKIP() << "KEEL_TEST_REDIS_URL is not set";
    auto parsed = kv::ParseRedisTarget(url);
    ASSERT_TRUE(parsed.ok()) << parsed.error().message;
    target_ = *parsed;
    prefix_ = "test:" + RandomToken(6) + ":";
  }

  // Publishes on `from` until `inbox` hears something: the subscriber connection comes up in the background.
  static void WaitUntilSubscribed(PubSub& from, const std::string& channel, Inbox& inbox) {
    for (int i = 0; i < 100 && inbox.WaitFor(1, std::chrono::milliseconds(50)).empty(); ++i)
      from.Publish(channel, "hello");
    ASSERT_FALSE(inbox.WaitFor(1, std::chrono::milliseconds(0)).empty()) << "no subscription came up";
  }

  kv::RedisTarget target_;
  std::string prefix_;
  Metrics metrics_;
};

TEST_F(RedisPubSubTest, AMessageReachesTheOtherProcessesSubscribers) {
  RedisPubSub publisher(target_, prefix_, metrics_);
  RedisPubSub listener(target_, prefix_, metrics_);
  Inbox ready, inbox, elsewhere;
  auto warmup = listener.Subscribe("warmup", ready.handler());
  WaitUntilSubscribed(publisher, "warmup", ready);
  auto subscription = listener.Subscribe("live.app-1", inbox.handler());
  auto other = listener.Subscribe("live.app-2", elsewhere.handler());
  for (int i = 0; i < 50; ++i) publisher.Publish("live.app-1", std::to_string(i));
  auto heard = inbox.WaitFor(50);
  ASSERT_EQ(heard.size(), 50u);
  EXPECT_EQ(heard.front(), "live.app-1=0");  // in order, from one publisher
  EXPECT_EQ(heard.back(), "live.app-1=49");
  EXPECT_TRUE(elsewhere.WaitFor(0).empty());
}

TEST_F(RedisPubSubTest, DeploymentsWithAnotherPrefixDoNotHearEachOther) {
  RedisPubSub ours(target_, prefix_, metrics_);
  RedisPubSub theirs(target_, prefix_ + "other:", metrics_);
  Inbox ready, inbox;
  auto warmup = ours.Subscribe("warmup", ready.handler());
  WaitUntilSubscribed(ours, "warmup", ready);
  auto subscription = ours.Subscribe("live", inbox.handler());
  theirs.Publish("live", "not for us");
  ours.Publish("live", "for us");
  EXPECT_EQ(inbox.WaitFor(2, std::chrono::milliseconds(300)), (std::vector<std::string>{"live=for us"}));
}

TEST(RedisPubSubRestart, AfterRedisComesBackTheSubscriptionIsRenewedAndAnnounced) {
  if (::access("/usr/bin/redis-server", X_OK) != 0) GTEST_SKIP() << "no redis-server";
  kv::PrivateRedis redis;
  Metrics metrics;
  RedisPubSub pubsub(kv::RedisTarget{.nodes = {kv::RedisEndpoint{.host = "127.0.0.1", .port = redis.port()}}},
                     "restart:", metrics);
  Inbox renewed, ready, later;
  auto announcements = pubsub.Subscribe(std::string(kResubscribedChannel), renewed.handler());
  auto warmup = pubsub.Subscribe("warmup", ready.handler());
  for (int i = 0; i < 100 && ready.WaitFor(1, std::chrono::milliseconds(50)).empty(); ++i)
    pubsub.Publish("warmup", "hello");
  ASSERT_FALSE(ready.WaitFor(1, std::chrono::milliseconds(0)).empty());
  const std::size_t before = renewed.WaitFor(0, std::chrono::milliseconds(0)).size();

  redis.Kill();  // what was published now is lost; the connection notices and reconnects with back-off
  redis.Start();
  EXPECT_GT(renewed.WaitFor(before + 1, std::chrono::seconds(10)).size(), before);
  auto subscription = pubsub.Subscribe("after", later.handler());
  for (int i = 0; i < 100 && later.WaitFor(1, std::chrono::milliseconds(50)).empty(); ++i)
    pubsub.Publish("after", "back");
  EXPECT_FALSE(later.WaitFor(1, std::chrono::milliseconds(0)).empty());
}

}  // namespace
}  // namespace keel::pubsub
