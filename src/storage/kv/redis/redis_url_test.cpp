// kv.url's Redis forms, and Redis Cluster's key slots (values from the cluster specification and redis-cli).
#include "storage/kv/redis/redis_url.hpp"

#include <gtest/gtest.h>

#include "storage/kv/redis/cluster_topology.hpp"
#include "storage/kv/redis/redis_slots.hpp"

namespace keel::kv {
namespace {

TEST(ParseRedisTarget, ReadsTheThreeForms) {
  auto single = ParseRedisTarget("redis://:pw@cache:6380/3");
  ASSERT_TRUE(single.ok()) << single.error().message;
  EXPECT_EQ(single->mode, RedisMode::kSingle);
  ASSERT_EQ(single->nodes.size(), 1U);
  EXPECT_EQ(single->nodes[0].port, 6380);
  EXPECT_EQ(single->nodes[0].database, 3);

  auto cluster = ParseRedisTarget("redis-cluster://:s3cret@10.0.0.1:7000,10.0.0.2:7001,redis-2:7002");
  ASSERT_TRUE(cluster.ok()) << cluster.error().message;
  EXPECT_EQ(cluster->mode, RedisMode::kCluster);
  ASSERT_EQ(cluster->nodes.size(), 3U);
  EXPECT_EQ(cluster->nodes[2].host, "redis-2");
  EXPECT_EQ(cluster->nodes[2].port, 7002);
  for (const auto& node : cluster->nodes) EXPECT_EQ(node.password, "s3cret");

  auto sentinel = ParseRedisTarget("redis-sentinel://127.0.0.1:26379,127.0.0.1:26380/keel/2");
  ASSERT_TRUE(sentinel.ok()) << sentinel.error().message;
  EXPECT_EQ(sentinel->mode, RedisMode::kSentinel);
  EXPECT_EQ(sentinel->master_name, "keel");
  ASSERT_EQ(sentinel->nodes.size(), 2U);
  EXPECT_EQ(sentinel->nodes[1].port, 26380);
  EXPECT_EQ(sentinel->nodes[0].database, 2);
  auto slashed = ParseRedisTarget("redis-sentinel://127.0.0.1:26379/keel/");
  ASSERT_TRUE(slashed.ok()) << slashed.error().message;
  EXPECT_EQ(slashed->master_name, "keel");
}

TEST(ParseRedisTarget, RefusesWhatCannotWork) {
  EXPECT_FALSE(ParseRedisTarget("redis-cluster://").ok());                        // no nodes
  EXPECT_FALSE(ParseRedisTarget("redis-cluster://10.0.0.1").ok());                // no port
  EXPECT_FALSE(ParseRedisTarget("redis-cluster://10.0.0.1:7000/1").ok());         // a cluster has only db 0
  EXPECT_FALSE(ParseRedisTarget("redis-sentinel://10.0.0.1:26379").ok());         // no master name
  EXPECT_FALSE(ParseRedisTarget("redis-sentinel://10.0.0.1:26379/keel/x").ok());  // bad database
  EXPECT_FALSE(ParseRedisTarget("redis-cluster://10.0.0.1:7000,,10.0.0.2:7001").ok());
  EXPECT_FALSE(ParseRedisTarget("rediss://10.0.0.1:7000").ok());
  auto refused = ParseRedisTarget("redis-sentinel://h:1");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("master's name"), std::string::npos) << refused.error().message;
  EXPECT_TRUE(IsRedisUrl("redis-sentinel://h:1/m"));
  EXPECT_FALSE(IsRedisUrl("memory://"));
}

TEST(KeySlot, MatchesRedisCluster) {
  EXPECT_EQ(Crc16("123456789"), 0x31C3);  // the specification's check value
  EXPECT_EQ(KeySlot("foo"), 12182);       // CLUSTER KEYSLOT foo
  EXPECT_EQ(KeySlot("bar"), 5061);
  EXPECT_EQ(KeySlot(""), 0);
  // Hash tags: the first {...} with something inside picks the slot.
  EXPECT_EQ(KeySlot("{user1000}.following"), KeySlot("user1000"));
  EXPECT_EQ(KeySlot("{user1000}.followers"), KeySlot("{user1000}.following"));
  EXPECT_EQ(KeySlot("foo{}{bar}"), KeySlot("foo{}{bar}"));
  EXPECT_NE(KeySlot("foo{}{bar}"), KeySlot("bar"));  // an empty first tag: the whole key is hashed
  EXPECT_EQ(KeySlot("foo{{bar}}zap"), KeySlot("{bar"));
  EXPECT_EQ(KeySlot("foo{bar}{zap}"), KeySlot("bar"));
}

}  // namespace
}  // namespace keel::kv
