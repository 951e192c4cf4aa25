// Tests of the Redis KV backend: URL parsing always; the store itself against a real Redis when
// KEEL_TEST_REDIS_URL names one (`.ci/run` starts it with `keel cluster`), skipped otherwise.
#include "storage/kv/redis/redis_kv.hpp"

#include <cstdlib>
#include <optional>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "core/random.hpp"

namespace keel::kv {
namespace {

namespace asio = boost::asio;

TEST(ParseRedisUrl, ReadsHostPortPasswordAndDatabase) {
  auto plain = ParseRedisUrl("redis://127.0.0.1:6380");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->host, "127.0.0.1");
  EXPECT_EQ(plain->port, 6380);
  EXPECT_EQ(plain->password, "");
  EXPECT_EQ(plain->database, 0);
  auto full = ParseRedisUrl("redis://:s3cret@cache.internal:6379/2");
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(full->host, "cache.internal");
  EXPECT_EQ(full->password, "s3cret");
  EXPECT_EQ(full->database, 2);
  auto defaults = ParseRedisUrl("redis://localhost");
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->port, 6379);
}

TEST(ParseRedisUrl, RefusesBadPortsAndDatabases) {
  EXPECT_FALSE(ParseRedisUrl("redis://host:http").ok());
  EXPECT_FALSE(ParseRedisUrl("redis://host:70000").ok());
  EXPECT_FALSE(ParseRedisUrl("redis://host:6379/x").ok());
  EXPECT_FALSE(ParseRedisUrl("memory://").ok());
}

class RedisKvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* url = std::getenv("KEEL_TEST_REDIS_URL");
    if (url == nullptr) GTEST_SKIP() << "KEEL_TEST_REDIS_URL is not set";
    auto target = ParseRedisTarget(url);
    ASSERT_TRUE(target.ok()) << target.error().message;
    kv_ = std::make_unique<RedisKv>(RedisKvOptions{.target = *target}, metrics_);
    prefix_ = "test:" + RandomToken(6) + ":";
    // The connections come up in the background: wait until a PING answers.
    for (int i = 0; i < 100; ++i) {
      bool answered = false;
      Run([&]() -> Task<void> { answered = (co_await kv_->Ping()).ok(); });
      if (answered) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    FAIL() << "redis did not answer";
  }

  template <class F>
  void Run(F body) {
    io_.restart();
    bool finished = false;
    asio::co_spawn(
        io_,
        [&]() -> Task<void> {
          co_await body();
          finished = true;
        },
        [](std::exception_ptr e) {
          if (e) std::rethrow_exception(e);
        });
    io_.run();
    ASSERT_TRUE(finished);
  }

  asio::io_context io_;  // outlives kv_: its thread resumes callers here
  Metrics metrics_;
  std::unique_ptr<RedisKv> kv_;
  std::string prefix_;
};

TEST_F(RedisKvTest, SetsGetsExpiresAndDeletes) {
  Run([&]() -> Task<void> {
    EXPECT_TRUE((co_await kv_->Set(prefix_ + "a", "one", kNoExpiry)).ok());
    EXPECT_TRUE((co_await kv_->Set(prefix_ + "b", std::string("two\0bytes", 9), Ttl(50))).ok());
    auto a = co_await kv_->Get(prefix_ + "a");
    EXPECT_EQ(a.value(), std::optional<std::string>("one"));
    auto b = co_await kv_->Get(prefix_ + "b");
    EXPECT_EQ(b.value(), std::optional<std::string>(std::string("two\0bytes", 9)));
    auto missing = co_await kv_->Get(prefix_ + "missing");
    EXPECT_EQ(missing.value(), std::nullopt);
    EXPECT_TRUE((co_await kv_->Delete(prefix_ + "a")).value());
    EXPECT_FALSE((co_await kv_->Delete(prefix_ + "a")).value());
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(120));
  Run([&]() -> Task<void> { EXPECT_EQ((co_await kv_->Get(prefix_ + "b")).value(), std::nullopt); });
}

TEST_F(RedisKvTest, ConnectsByHostNameResolvedOffItsThread) {
  auto target = ParseRedisTarget(std::getenv("KEEL_TEST_REDIS_URL"));
  for (auto& node : target->nodes) {
    if (node.host != "127.0.0.1") GTEST_SKIP() << "the test server is not on 127.0.0.1";
    node.host = "localhost";
  }
  RedisKv by_name(RedisKvOptions{.target = *target}, metrics_);
  bool answered = false;
  for (int i = 0; i < 100 && !answered; ++i) {
    Run([&]() -> Task<void> { answered = (co_await by_name.Ping()).ok(); });
    if (!answered) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(answered);
}

TEST_F(RedisKvTest, IncrementCreatesWithTtlThenCounts) {
  Run([&]() -> Task<void> {
    EXPECT_EQ((co_await kv_->Increment(prefix_ + "n", 3, Ttl(60000))).value(), 3);
    EXPECT_EQ((co_await kv_->Increment(prefix_ + "n", 2, Ttl(60000))).value(), 5);
    EXPECT_EQ((co_await kv_->Increment(prefix_ + "n", -1, Ttl(60000))).value(), 4);
  });
}

TEST_F(RedisKvTest, GcraAllowsTheBurstThenRefusesUntilTheRateAllows) {
  const GcraParams params{std::chrono::milliseconds(100), 3};  // 10/s, 3 at once
  Run([&]() -> Task<void> {
    for (int i = 0; i < 3; ++i) {
      auto allowed = co_await kv_->Gcra(prefix_ + "g", params);
      EXPECT_TRUE(allowed.ok() && allowed->allowed) << i;
      EXPECT_EQ(allowed->remaining, 2 - i);
    }
    auto refused = co_await kv_->Gcra(prefix_ + "g", params);
    EXPECT_TRUE(refused.ok());
    EXPECT_FALSE(refused->allowed);
    EXPECT_GT(refused->retry_after.count(), 0);
    EXPECT_LE(refused->retry_after, std::chrono::milliseconds(100));
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(110));
  Run([&]() -> Task<void> { EXPECT_TRUE((co_await kv_->Gcra(prefix_ + "g", params))->allowed); });
}

TEST_F(RedisKvTest, ManyConcurrentCommandsAllAnswer) {
  std::vector<std::optional<std::int64_t>> counts(200);
  io_.restart();
  for (int i = 0; i < 200; ++i) {
    asio::co_spawn(
        io_,
        [&, i]() -> Task<void> {
          auto n = co_await kv_->Increment(prefix_ + "c", 1, Ttl(60000));
          if (n) counts[i] = *n;
        },
        asio::detached);
  }
  io_.run();
  std::set<std::int64_t> seen;
  for (auto& c : counts) {
    ASSERT_TRUE(c.has_value());
    seen.insert(*c);
  }
  EXPECT_EQ(seen.size(), 200U);  // each increment saw its own value: atomic across connections
  EXPECT_EQ(*seen.rbegin(), 200);
}

TEST(RedisKvUnreachable, FailsAtOnceWithUnavailable) {
  Metrics metrics;
  asio::io_context io;
  RedisKv kv(RedisKvOptions{.target = {.nodes = {RedisEndpoint{.host = "127.0.0.1", .port = 1}}}}, metrics);
  std::optional<ErrorCode> code;
  auto started = std::chrono::steady_clock::now();
  asio::co_spawn(
      io,
      [&]() -> Task<void> {
        auto got = co_await kv.Get("anything");
        if (!got) code = got.error().code;
      },
      asio::detached);
  io.run();
  EXPECT_EQ(code, ErrorCode::kUnavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(100));
}

}  // namespace
}  // namespace keel::kv
