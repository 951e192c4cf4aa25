// The KV store through a master's loss, against a real Redis Cluster or Sentinel set (KEEL_TEST_REDIS_URL
// names it, KEEL_TEST_REDIS_FAILOVER=1 allows killing one of its masters; `ctest` runs it last on each
// topology). The master that owns a key is killed with SIGKILL; commands on its keys fail fast until its
// replica is promoted, then answer again, and commands on other masters' keys never stop answering.
#include <signal.h>

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

TEST(RedisFailover, AMasterLostIsReplacedAndTheOthersNeverStop) {
  const char* url = std::getenv("KEEL_TEST_REDIS_URL");
  const char* allowed = std::getenv("KEEL_TEST_REDIS_FAILOVER");
  if (url == nullptr || allowed == nullptr || std::string(allowed) != "1")
    GTEST_SKIP() << "needs KEEL_TEST_REDIS_URL and KEEL_TEST_REDIS_FAILOVER=1";
  auto target = ParseRedisTarget(url);
  ASSERT_TRUE(target.ok()) << target.error().message;
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

  const pid_t pid = ProcessOf(*doomed);
  ASSERT_GT(pid, 0);
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  const auto killed = Clock::now();
  std::optional<Clock::duration> window;
  int other_failures = 0;
  while (Clock::now() - killed < 20s) {
    const auto tried = Clock::now();
    bool answered = set(doomed_key);
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
  std::cout << fmt::format("[ failover ] {} ms until the lost master's keys answered again\n",
                           std::chrono::duration_cast<std::chrono::milliseconds>(*window).count());
  EXPECT_LT(*window, 15s);
  EXPECT_EQ(other_failures, 0);
  // And it keeps answering on the new master.
  for (int i = 0; i < 20; ++i) EXPECT_TRUE(set(doomed_key + std::to_string(i)));
}

}  // namespace
}  // namespace keel::kv
