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

}  // namespace
}  // namespace keel::kv
