// Unit tests of the in-process KV store: TTL expiry, LRU eviction by bytes, counters.
#include "storage/kv/memory/memory_kv.hpp"

#include <gtest/gtest.h>

namespace keel::kv {
namespace {

using std::chrono::milliseconds;

TEST(MemoryKv, GetsWhatWasSet) {
  ManualClock clock;
  MemoryKv kv({.max_bytes = 1 << 20, .shards = 4}, clock);
  ASSERT_TRUE(kv.SetNow("a", "1", kNoExpiry).ok());
  EXPECT_EQ(kv.GetNow("a"), "1");
  EXPECT_EQ(kv.GetNow("b"), std::nullopt);
  EXPECT_TRUE(kv.DeleteNow("a"));
  EXPECT_FALSE(kv.DeleteNow("a"));
  EXPECT_EQ(kv.GetNow("a"), std::nullopt);
}

TEST(MemoryKv, EntriesExpireAfterTheirTtl) {
  ManualClock clock;
  MemoryKv kv({.max_bytes = 1 << 20, .shards = 4}, clock);
  ASSERT_TRUE(kv.SetNow("session", "x", milliseconds(1000)).ok());
  clock.Advance(milliseconds(999));
  EXPECT_EQ(kv.GetNow("session"), "x");
  clock.Advance(milliseconds(1));
  EXPECT_EQ(kv.GetNow("session"), std::nullopt);
  EXPECT_EQ(kv.Size(), 0U);
  EXPECT_EQ(kv.Bytes(), 0U);
}

TEST(MemoryKv, EvictsLeastRecentlyUsedToStayWithinBytes) {
  ManualClock clock;
  const std::size_t entry = 1 + 100 + MemoryKv::kEntryOverhead;
  MemoryKv kv({.max_bytes = entry * 3, .shards = 1}, clock);
  std::string value(100, 'v');
  ASSERT_TRUE(kv.SetNow("a", value, kNoExpiry).ok());
  ASSERT_TRUE(kv.SetNow("b", value, kNoExpiry).ok());
  ASSERT_TRUE(kv.SetNow("c", value, kNoExpiry).ok());
  EXPECT_TRUE(kv.GetNow("a").has_value());  // a is now the most recently used; b the least
  ASSERT_TRUE(kv.SetNow("d", value, kNoExpiry).ok());
  EXPECT_FALSE(kv.GetNow("b").has_value());
  EXPECT_TRUE(kv.GetNow("a").has_value());
  EXPECT_TRUE(kv.GetNow("c").has_value());
  EXPECT_TRUE(kv.GetNow("d").has_value());
  EXPECT_LE(kv.Bytes(), entry * 3);
}

TEST(MemoryKv, RefusesValuesLargerThanAShard) {
  ManualClock clock;
  MemoryKv kv({.max_bytes = 1000, .shards = 2}, clock);
  auto result = kv.SetNow("big", std::string(600, 'x'), kNoExpiry);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kTooLarge);
}

TEST(MemoryKv, CountersStartAtDeltaAndRestartAfterExpiry) {
  ManualClock clock;
  MemoryKv kv({.max_bytes = 1 << 20, .shards = 4}, clock);
  EXPECT_EQ(kv.IncrementNow("hits", 1, milliseconds(60000)), 1);
  EXPECT_EQ(kv.IncrementNow("hits", 5, milliseconds(60000)), 6);
  EXPECT_EQ(kv.IncrementNow("hits", -2, milliseconds(60000)), 4);
  clock.Advance(milliseconds(60000));
  EXPECT_EQ(kv.IncrementNow("hits", 1, milliseconds(60000)), 1);
}

TEST(MemoryKv, OverwriteReplacesBytes) {
  ManualClock clock;
  MemoryKv kv({.max_bytes = 1 << 20, .shards = 1}, clock);
  ASSERT_TRUE(kv.SetNow("k", std::string(500, 'a'), kNoExpiry).ok());
  ASSERT_TRUE(kv.SetNow("k", "b", kNoExpiry).ok());
  EXPECT_EQ(kv.Bytes(), 1 + 1 + MemoryKv::kEntryOverhead);
  EXPECT_EQ(kv.GetNow("k"), "b");
}

TEST(MemoryKvGcra, AllowsTheBurstThenTheSteadyRate) {
  ManualClock clock;
  MemoryKv kv({.max_bytes = 1 << 20, .shards = 4}, clock);
  GcraParams params{std::chrono::seconds(1), 3};  // 1 per second, bursts of 3
  for (int i = 0; i < 3; ++i) {
    auto decision = kv.GcraNow("ip:1", params);
    EXPECT_TRUE(decision.allowed) << i;
    EXPECT_EQ(decision.remaining, 2 - i);
  }
  auto denied = kv.GcraNow("ip:1", params);
  EXPECT_FALSE(denied.allowed);
  EXPECT_EQ(denied.retry_after, std::chrono::seconds(1));
  clock.Advance(std::chrono::milliseconds(999));
  EXPECT_FALSE(kv.GcraNow("ip:1", params).allowed);
  clock.Advance(std::chrono::milliseconds(1));
  EXPECT_TRUE(kv.GcraNow("ip:1", params).allowed);
  EXPECT_FALSE(kv.GcraNow("ip:1", params).allowed);
  EXPECT_TRUE(kv.GcraNow("ip:2", params).allowed);  // keys are independent
}

TEST(MemoryKvGcra, RefillsCompletelyAfterIdling) {
  ManualClock clock;
  MemoryKv kv({.max_bytes = 1 << 20, .shards = 4}, clock);
  GcraParams params{std::chrono::milliseconds(100), 5};
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(kv.GcraNow("k", params).allowed);
  ASSERT_FALSE(kv.GcraNow("k", params).allowed);
  clock.Advance(std::chrono::milliseconds(500));
  auto decision = kv.GcraNow("k", params);
  EXPECT_TRUE(decision.allowed);
  EXPECT_EQ(decision.remaining, 4);
  EXPECT_EQ(decision.reset_after, std::chrono::milliseconds(100));
}

TEST(MemoryKvGcra, DeniedRequestsDoNotConsumeCapacity) {
  ManualClock clock;
  MemoryKv kv({.max_bytes = 1 << 20, .shards = 1}, clock);
  GcraParams params{std::chrono::seconds(1), 1};
  ASSERT_TRUE(kv.GcraNow("k", params).allowed);
  for (int i = 0; i < 10; ++i) ASSERT_FALSE(kv.GcraNow("k", params).allowed);
  clock.Advance(std::chrono::seconds(1));
  EXPECT_TRUE(kv.GcraNow("k", params).allowed);
}

}  // namespace
}  // namespace keel::kv
