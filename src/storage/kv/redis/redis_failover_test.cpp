// The KV store while its topology changes under it, against a real Redis Cluster or Sentinel set
// (KEEL_TEST_REDIS_URL names it; KEEL_TEST_REDIS_FAILOVER=1 allows changing it: `ctest` runs these last on
// each topology, in this order).
// - Resharding (cluster): slots move between masters with `redis-cli --cluster reshard` while commands run;
//   MOVED and ASK are followed and no command fails.
// - A master's loss: the master that owns a key is killed with SIGKILL (behind Sentinel, after one of
//   the three sentinels); commands on its keys fail fast until its replica is promoted, then answer again,
//   and commands on other masters' keys never stop answering.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>
#include <boost/asio/io_context.hpp>

#include "core/random.hpp"
#include "core/run_to_completion.hpp"
#include "storage/kv/redis/redis_kv.hpp"
#include "storage/kv/redis/redis_slots.hpp"

namespace keel::kv {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// One synchronous hiredis command to host:port: the test's own view of the servers, apart from the store's.
std::unique_ptr<redisReply, void (*)(void*)> Ask(const RedisEndpoint& node, const std::string& command) {
  std::unique_ptr<redisContext, void (*)(redisContext*)> context(
      redisConnectWithTimeout(node.host.c_str(), node.port, timeval{1, 0}), redisFree);
  redisReply* reply = nullptr;
  if (context && context->err == 0)
    reply = static_cast<redisReply*>(redisCommand(context.get(), command.c_str()));
  return {reply, freeReplyObject};
}

// The master that owns `key`: from CLUSTER SLOTS on the first node that answers, or from the sentinels.
std::optional<RedisEndpoint> MasterOf(const RedisTarget& target, const std::string& key) {
  for (const auto& node : target.nodes) {
    if (target.mode == RedisMode::kSentinel) {
      auto reply = Ask(node, "SENTINEL get-master-addr-by-name " + target.master_name);
      if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements != 2) continue;
      return RedisEndpoint{.host = reply->element[0]->str, .port = std::atoi(reply->element[1]->str)};
    }
    auto reply = Ask(node, "CLUSTER SLOTS");
    if (!reply || reply->type != REDIS_REPLY_ARRAY) continue;
    const long long slot = KeySlot(key);
    for (std::size_t i = 0; i < reply->elements; ++i) {
      const redisReply* range = reply->element[i];
      if (range->element[0]->integer <= slot && slot <= range->element[1]->integer)
        return RedisEndpoint{.host = range->element[2]->element[0]->str,
                             .port = static_cast<int>(range->element[2]->element[1]->integer)};
    }
  }
  return std::nullopt;
}

pid_t ProcessOf(const RedisEndpoint& node) {
  auto reply = Ask(node, "INFO server");
  if (!reply || reply->type != REDIS_REPLY_STRING) return 0;
  std::string info(reply->str, reply->len);
  auto at = info.find("process_id:");
  return at == std::string::npos ? 0 : std::atoi(info.c_str() + at + 11);
}

// The topology the test may change, or nothing (skipped).
std::optional<RedisTarget> ChangeableTopology() {
  const char* url = std::getenv("KEEL_TEST_REDIS_URL");
  const char* allowed = std::getenv("KEEL_TEST_REDIS_FAILOVER");
  if (url == nullptr || allowed == nullptr || std::string(allowed) != "1") return std::nullopt;
  auto target = ParseRedisTarget(url);
  if (!target) return std::nullopt;
  return *target;
}

std::string NodeId(const RedisEndpoint& node) {
  auto reply = Ask(node, "CLUSTER MYID");
  return reply && reply->type == REDIS_REPLY_STRING ? std::string(reply->str, reply->len) : "";
}

TEST(RedisTopologyChange, ReshardingUnderLoadCausesNoError) {
  auto target = ChangeableTopology();
  if (!target || target->mode != RedisMode::kCluster)
    GTEST_SKIP() << "needs a Redis Cluster in KEEL_TEST_REDIS_URL and KEEL_TEST_REDIS_FAILOVER=1";
  boost::asio::io_context io;
  Metrics metrics;
  RedisKv kv(RedisKvOptions{.target = *target}, metrics);
  const std::string prefix = "reshard:" + RandomToken(4) + ":";
  auto from = MasterOf(*target, prefix + "k0");
  ASSERT_TRUE(from);
  std::optional<RedisEndpoint> to;
  for (int i = 1; i < 1000 && !to; ++i)
    if (auto other = MasterOf(*target, prefix + fmt::format("k{}", i)); other && other->port != from->port)
      to = other;
  ASSERT_TRUE(to);
  // Keys stored before the move, so slots move with keys in them (MIGRATE, then ASK while it lasts).
  constexpr int kKeys = 3000;
  for (int i = 0; i < 100; ++i)
    if (RunToCompletion(io, kv.Ping()).ok()) break;
  for (int i = 0; i < kKeys; ++i)
    ASSERT_TRUE(
        RunToCompletion(io, kv.Set(prefix + fmt::format("k{}", i), std::to_string(i), Ttl(120000))).ok());

  std::atomic<bool> moving{true};
  int exit_code = -1;
  std::thread reshard([&] {
    std::string command = fmt::format(
        "/usr/bin/redis-cli --cluster reshard {}:{} --cluster-from {} --cluster-to {} --cluster-slots 600 "
        "--cluster-yes >/dev/null 2>&1",
        from->host, from->port, NodeId(*from), NodeId(*to));
    exit_code = std::system(command.c_str());
    moving = false;
  });
  int rounds = 0, failures = 0, wrong = 0;
  while (moving || rounds == 0) {
    for (int i = rounds % 7; i < kKeys; i += 7) {
      std::string key = prefix + fmt::format("k{}", i);
      auto got = RunToCompletion(io, kv.Get(key));
      if (!got) {
        ++failures;
        ADD_FAILURE() << key << ": " << got.error().message;
      } else if (*got != std::optional<std::string>(std::to_string(i))) {
        ++wrong;
      }
    }
    ++rounds;
  }
  reshard.join();
  ASSERT_EQ(exit_code, 0) << "redis-cli --cluster reshard failed";
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(wrong, 0);
  auto metric = [&](const std::string& kind) {
    auto text = metrics.Serialize();
    auto at = text.find(fmt::format("keel_redis_redirects_total{{client=\"kv\",kind=\"{}\"}} ", kind));
    return at == std::string::npos ? 0.0 : std::atof(text.c_str() + text.find(' ', at) + 1);
  };
  std::cout << fmt::format(
      "[ reshard  ] {} rounds of reads while 600 slots moved; {} MOVED, {} ASK followed\n", rounds,
      metric("moved"), metric("ask"));
  EXPECT_GT(metric("moved"), 0);

  // One slot caught half-migrated, by hand: the key already moved is reached with ASKING on its new node,
  // the key not yet moved on the old one; once the slot is assigned, both answer from the new node.
  const std::string moved_key = prefix + "{half}moved", staying_key = prefix + "{half}staying";
  for (const auto* key : {&moved_key, &staying_key})
    ASSERT_TRUE(RunToCompletion(io, kv.Set(*key, *key, Ttl(120000))).ok());
  const int slot = KeySlot(moved_key);
  auto source = MasterOf(*target, moved_key);
  ASSERT_TRUE(source);
  std::optional<RedisEndpoint> destination;
  for (int i = 0; i < 1000 && !destination; ++i)
    if (auto other = MasterOf(*target, prefix + fmt::format("k{}", i)); other && other->port != source->port)
      destination = other;
  ASSERT_TRUE(destination);
  const std::string source_id = NodeId(*source), destination_id = NodeId(*destination);
  ASSERT_TRUE(Ask(*destination, fmt::format("CLUSTER SETSLOT {} IMPORTING {}", slot, source_id)));
  ASSERT_TRUE(Ask(*source, fmt::format("CLUSTER SETSLOT {} MIGRATING {}", slot, destination_id)));
  auto migrated =
      Ask(*source, fmt::format("MIGRATE {} {} {} 0 5000", destination->host, destination->port, moved_key));
  ASSERT_TRUE(migrated && migrated->type == REDIS_REPLY_STATUS) << (migrated ? migrated->str : "no answer");
  const double asked_before = metric("ask");
  for (const auto* key : {&moved_key, &staying_key}) {
    auto got = RunToCompletion(io, kv.Get(*key));
    ASSERT_TRUE(got.ok()) << got.error().message;
    EXPECT_EQ(*got, std::optional<std::string>(*key));
  }
  EXPECT_EQ(metric("ask"), asked_before + 1);
  ASSERT_TRUE(Ask(*source,
                  fmt::format("MIGRATE {} {} {} 0 5000", destination->host, destination->port, staying_key)));
  for (const auto& node : {*destination, *source})
    ASSERT_TRUE(Ask(node, fmt::format("CLUSTER SETSLOT {} NODE {}", slot, destination_id)));
  for (const auto* key : {&moved_key, &staying_key}) {
    auto got = RunToCompletion(io, kv.Get(*key));
    ASSERT_TRUE(got.ok()) << got.error().message;
    EXPECT_EQ(*got, std::optional<std::string>(*key));
  }
}

TEST(RedisTopologyChange, AMasterLostIsReplacedAndTheOthersNeverStop) {
  auto target = ChangeableTopology();
  if (!target) GTEST_SKIP() << "needs KEEL_TEST_REDIS_URL and KEEL_TEST_REDIS_FAILOVER=1";
  if (target->mode == RedisMode::kSingle) GTEST_SKIP() << "one node has no replica to promote";

  boost::asio::io_context io;
  Metrics metrics;
  RedisKv kv(RedisKvOptions{.target = *target}, metrics);
  const std::string prefix = "failover:" + RandomToken(4) + ":";
  auto set = [&](const std::string& key) {
    return RunToCompletion(io, kv.Set(prefix + key, "v", Ttl(60000))).ok();
  };
  // Keys on every master: the doomed one's and, in a cluster, the others'.
  const std::string doomed_key = "doomed";
  auto doomed = MasterOf(*target, prefix + doomed_key);
  ASSERT_TRUE(doomed) << "no master found for the key";
  std::vector<std::string> elsewhere;
  for (int i = 0; elsewhere.size() < 20 && i < 1000 && target->mode == RedisMode::kCluster; ++i) {
    std::string key = fmt::format("k{}", i);
    auto master = MasterOf(*target, prefix + key);
    if (master && master->port != doomed->port) elsewhere.push_back(key);
  }
  for (int i = 0; i < 100 && !set(doomed_key); ++i) std::this_thread::sleep_for(20ms);  // connections opening
  ASSERT_TRUE(set(doomed_key));

  if (target->mode == RedisMode::kSentinel) {
    // One sentinel of three gone first: the other two still authorize the failover, and the store finds the
    // new master from their answers alone (the lost one answers nothing).
    const pid_t sentinel = ProcessOf(target->nodes.back());
    ASSERT_GT(sentinel, 0);
    ASSERT_EQ(::kill(sentinel, SIGKILL), 0);
  }
  const pid_t pid = ProcessOf(*doomed);
  ASSERT_GT(pid, 0);
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  const auto killed = Clock::now();
  std::optional<Clock::duration> window;
  int other_failures = 0;
  Clock::duration slowest{};
  while (Clock::now() - killed < 20s) {
    const auto tried = Clock::now();
    bool answered = set(doomed_key);
    slowest = std::max(slowest, Clock::now() - tried);
    // A failed command fails fast (the caller degrades at once), never after a long wait.
    if (!answered) {
      EXPECT_LT(Clock::now() - tried, 600ms);
    }
    for (const auto& key : elsewhere) other_failures += set(key) ? 0 : 1;
    if (answered) {
      window = Clock::now() - killed;
      break;
    }
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_TRUE(window) << "the store never answered for the lost master's keys again";
  std::cout << fmt::format(
      "[ failover ] {} ms until the lost master's keys answered again; slowest command {} ms\n",
      std::chrono::duration_cast<std::chrono::milliseconds>(*window).count(),
      std::chrono::duration_cast<std::chrono::milliseconds>(slowest).count());
  EXPECT_LT(*window, 15s);
  EXPECT_EQ(other_failures, 0);
  // And it keeps answering on the new master.
  for (int i = 0; i < 20; ++i) EXPECT_TRUE(set(doomed_key + std::to_string(i)));
}

}  // namespace
}  // namespace keel::kv
