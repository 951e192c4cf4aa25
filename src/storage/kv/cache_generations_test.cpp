// Unit tests of CacheGenerations: a replacement the KV store did not take stays owed (entries bypassed) until
// a retry succeeds, a failure that arrives during a retry is not swallowed by it, and a lost generation comes
// back as a fresh token, never an earlier one.
#include "storage/kv/cache_generations.hpp"

#include <atomic>
#include <functional>
#include <thread>
#include <utility>

#include <gtest/gtest.h>

#include "core/clock.hpp"
#include "core/run_to_completion.hpp"
#include "storage/kv/memory/memory_kv.hpp"

namespace keel::kv {
namespace {

using std::chrono::milliseconds;

// The in-process store, made unreachable on demand (as Redis behind a partition: its data stays).
class SwitchableKv final : public KvStore {
 public:
  explicit SwitchableKv(const Clock& clock) : memory_({.max_bytes = 1 << 20, .shards = 1}, clock) {}

  std::atomic<bool> down{false};  // set by the test, read by the retry thread
  std::function<void()> on_set;   // runs inside Set, before it answers

  Task<Result<std::optional<std::string>>> Get(std::string key) override {
    if (down) co_return Unreachable();
    co_return co_await memory_.Get(std::move(key));
  }
  Task<Result<void>> Set(std::string key, std::string value, Ttl ttl) override {
    if (auto hook = std::exchange(on_set, nullptr)) hook();
    if (down) co_return Unreachable();
    co_return co_await memory_.Set(std::move(key), std::move(value), ttl);
  }
  Task<Result<bool>> Delete(std::string key) override { co_return co_await memory_.Delete(std::move(key)); }
  Task<Result<std::int64_t>> Increment(std::string key, std::int64_t delta, Ttl ttl) override {
    co_return co_await memory_.Increment(std::move(key), delta, ttl);
  }
  Task<Result<GcraDecision>> Gcra(std::string key, GcraParams params) override {
    co_return co_await memory_.Gcra(std::move(key), params);
  }
  Task<Result<void>> Ping() override { co_return Ok(); }

  MemoryKv& memory() { return memory_; }

 private:
  static Error Unreachable() { return Error{ErrorCode::kUnavailable, "kv unreachable"}; }
  MemoryKv memory_;
};

class CacheGenerationsTest : public ::testing::Test {
 protected:
  ManualClock clock_;
  SwitchableKv kv_{clock_};
  Metrics metrics_;
  CacheGenerations generations_{kv_, "test", milliseconds(60000), metrics_, milliseconds(20)};
};

TEST_F(CacheGenerationsTest, AWriteReplacesTheGenerationAndALostOneComesBackFresh) {
  auto first = RunToCompletion(generations_.Current("g"));
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(RunToCompletion(generations_.Current("g")), first);
  RunToCompletion(generations_.Replace("g"));
  auto second = RunToCompletion(generations_.Current("g"));
  EXPECT_NE(second, first);
  ASSERT_TRUE(kv_.memory().DeleteNow("g"));  // evicted
  auto third = RunToCompletion(generations_.Current("g"));
  ASSERT_TRUE(third.has_value());
  EXPECT_NE(third, first);
  EXPECT_NE(third, second);
  EXPECT_FALSE(generations_.Pending("g"));
}

TEST_F(CacheGenerationsTest, NoGenerationWhenTheStoreDoesNotAnswer) {
  kv_.down = true;
  EXPECT_EQ(RunToCompletion(generations_.Current("g")), std::nullopt);
  kv_.down = false;
  // Reachable, but the fresh token is not taken: it might still land later, so it must not be used.
  kv_.on_set = [this] { kv_.down = true; };
  EXPECT_EQ(RunToCompletion(generations_.Current("g")), std::nullopt);
  kv_.down = false;
  EXPECT_NE(RunToCompletion(generations_.Current("g")), std::nullopt);
}

TEST_F(CacheGenerationsTest, AFailedReplacementStaysOwedUntilTheStoreTakesIt) {
  ASSERT_TRUE(kv_.memory().SetNow("g", "old", kNoExpiry).ok());
  kv_.down = true;
  RunToCompletion(generations_.Replace("g"));
  EXPECT_TRUE(generations_.Pending("g"));
  EXPECT_FALSE(generations_.Pending("other"));
  EXPECT_EQ(generations_.RetryNow(), 1U);  // still away
  EXPECT_TRUE(generations_.Pending("g"));
  kv_.down = false;
  EXPECT_EQ(kv_.memory().GetNow("g"), "old");  // as Redis after a partition: the old generation is back
  EXPECT_EQ(RunToCompletion(generations_.Current("g")), std::nullopt);  // but not usable while owed
  EXPECT_EQ(generations_.RetryNow(), 0U);
  EXPECT_FALSE(generations_.Pending("g"));
  EXPECT_NE(kv_.memory().GetNow("g"), "old");
  EXPECT_NE(metrics_.Serialize().find("keel_cache_generations_pending{cache=\"test\"} 0"), std::string::npos);
}

TEST_F(CacheGenerationsTest, AFailureDuringARetryKeepsTheKeyOwed) {
  kv_.down = true;
  RunToCompletion(generations_.Replace("g"));
  kv_.down = false;
  // A second write fails its own replacement while the retry's is on its way: that write may have committed
  // after a builder read the retry's token, so the key stays owed for another round.
  kv_.on_set = [this] {
    kv_.down = true;
    RunToCompletion(generations_.Replace("g"));
    kv_.down = false;
  };
  EXPECT_EQ(generations_.RetryNow(), 1U);
  EXPECT_TRUE(generations_.Pending("g"));
  EXPECT_EQ(generations_.RetryNow(), 0U);
  EXPECT_FALSE(generations_.Pending("g"));
}

TEST_F(CacheGenerationsTest, TheRetryThreadReplacesOnceTheStoreIsBack) {
  kv_.down = true;
  RunToCompletion(generations_.Replace("a"));
  RunToCompletion(generations_.Replace("b"));
  generations_.Start();
  std::this_thread::sleep_for(milliseconds(100));  // several retry intervals while away
  EXPECT_TRUE(generations_.Pending("a"));
  kv_.down = false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while ((generations_.Pending("a") || generations_.Pending("b")) &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(milliseconds(5));
  EXPECT_FALSE(generations_.Pending("a"));
  EXPECT_FALSE(generations_.Pending("b"));
  EXPECT_NE(kv_.memory().GetNow("b"), std::nullopt);
  generations_.Stop();
}

}  // namespace
}  // namespace keel::kv
