// Tests of the rate limiter's answers when its KV store cannot be reached (Redis down).
#include "http/rate_limiter.hpp"

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "core/clock.hpp"
#include "storage/kv/memory/memory_kv.hpp"

namespace keel::http {
namespace {

namespace asio = boost::asio;

// A store whose every operation fails as an unreachable Redis does.
class UnreachableKv final : public kv::KvStore {
 public:
  Task<Result<std::optional<std::string>>> Get(std::string) override { co_return Down(); }
  Task<Result<void>> Set(std::string, std::string, kv::Ttl) override { co_return Down(); }
  Task<Result<bool>> Delete(std::string) override { co_return Down(); }
  Task<Result<std::int64_t>> Increment(std::string, std::int64_t, kv::Ttl) override { co_return Down(); }
  Task<Result<kv::GcraDecision>> Gcra(std::string, kv::GcraParams) override { co_return Down(); }
  Task<Result<void>> Ping() override { co_return Down(); }

 private:
  static Error Down() { return Error{ErrorCode::kUnavailable, "redis is unreachable"}; }
};

class RateLimiterFallbackTest : public ::testing::Test {
 protected:
  // Runs `count` checks of a policy of 10 requests per minute, burst 10, and counts the allowed ones.
  int Allowed(RateFallback fallback, int count, bool* uncounted = nullptr) {
    RateLimiter limiter(down_, {{"api", RatePolicy{10, std::chrono::seconds(60), 10}}}, metrics_, fallback,
                        std::make_unique<kv::MemoryKv>(kv::MemoryKvOptions{}, clock_));
    int allowed = 0;
    asio::io_context io;
    asio::co_spawn(
        io,
        [&]() -> Task<void> {
          for (int i = 0; i < count; ++i) {
            auto decision = co_await limiter.Check("api", "203.0.113.7");
            if (!decision) {
              if (uncounted != nullptr) *uncounted = true;
              ++allowed;
            } else if (decision->allowed) {
              ++allowed;
            }
          }
        },
        asio::detached);
    io.run();
    return allowed;
  }

  UnreachableKv down_;
  SystemClock clock_;
  Metrics metrics_;
};

TEST_F(RateLimiterFallbackTest, OpenLetsEveryRequestThrough) {
  bool uncounted = false;
  EXPECT_EQ(Allowed({RateFallback::Mode::kOpen, 1}, 50, &uncounted), 50);
  EXPECT_TRUE(uncounted);
}

TEST_F(RateLimiterFallbackTest, ClosedRefusesEveryRequest) {
  EXPECT_EQ(Allowed({RateFallback::Mode::kClosed, 1}, 5), 0);
}

TEST_F(RateLimiterFallbackTest, LocalAllowsOnlyThisInstancesShare) {
  // Five instances share the limit of 10: each lets 2 through, so together they never exceed 10.
  EXPECT_EQ(Allowed({RateFallback::Mode::kLocal, 5}, 50), 2);
  EXPECT_EQ(Allowed({RateFallback::Mode::kLocal, 1}, 50), 10);
}

}  // namespace
}  // namespace keel::http
