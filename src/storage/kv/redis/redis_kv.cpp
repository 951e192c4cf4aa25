// RedisKv: the KvStore operations as Redis commands and Lua scripts.
#include "storage/kv/redis/redis_kv.hpp"

#include <future>
#include <initializer_list>
#include <utility>

#include <fmt/format.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

namespace keel::kv {

namespace asio = boost::asio;

namespace {

// GCRA (as MemoryKv::GcraNow) on Redis's clock, in microseconds: Lua numbers are doubles, exact to 2^53, and
// nanoseconds since 1970 are not. Returns {allowed, remaining, retry_after_us, reset_after_us}.
constexpr const char* kGcraScript = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = interval * math.max(1, tonumber(ARGV[2]))
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new_tat = tat + interval
if new_tat - now > tolerance then
  return {0, 0, math.ceil(new_tat - tolerance - now), math.ceil(tat - now)}
end
redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', math.max(1, math.ceil((new_tat - now) / 1000)))
return {1, math.floor((tolerance - (new_tat - now)) / interval), 0, math.ceil(new_tat - now)}
)lua";

// A counter created at delta with its TTL (ms; 0 = none) when missing, incremented otherwise.
constexpr const char* kIncrementScript = R"lua(
if redis.call('EXISTS', KEYS[1]) == 0 then
  if tonumber(ARGV[2]) > 0 then
    redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  else
    redis.call('SET', KEYS[1], ARGV[1])
  end
  return tonumber(ARGV[1])
end
return redis.call('INCRBY', KEYS[1], ARGV[1])
)lua";

// Command words as owned strings. The braced lists passed in hold string_views only (trivial types): g++ 12
// mishandles braced lists of non-trivial types inside coroutines.
std::vector<std::string> Words(std::initializer_list<std::string_view> words) {
  return std::vector<std::string>(words.begin(), words.end());
}

Error Unexpected(const RedisReply& reply, std::string_view command) {
  return Error{ErrorCode::kInternal,
               fmt::format("redis {}: unexpected reply type {}", command, static_cast<int>(reply.type))};
}

}  // namespace

RedisKv::RedisKv(const RedisKvOptions& options, Metrics& metrics)
    : prefix_(options.key_prefix),
      mode_(options.target.mode),
      redis_metrics_(metrics, "kv"),
      io_(std::make_unique<asio::io_context>()),
      unavailable_(prometheus::BuildCounter()
                       .Name("keel_kv_unavailable_total")
                       .Help("KV operations refused because Redis was unreachable (callers degraded).")
                       .Register(metrics.registry())
                       .Add({})),
      timeouts_(prometheus::BuildCounter()
                    .Name("keel_kv_timeouts_total")
                    .Help("KV operations Redis did not answer in time.")
                    .Register(metrics.registry())
                    .Add({})) {
  topology_ = MakeRedisTopology(
      *io_, options.target,
      RedisTopologyOptions{.connections = options.connections, .timeout = options.timeout}, redis_metrics_);
  thread_ = std::thread([io = io_.get()] {
    auto work = asio::make_work_guard(*io);
    io->run();
  });
}

RedisKv::~RedisKv() {
  std::promise<void> closed;
  asio::post(*io_, [this, &closed] {
    topology_.reset();  // on the reactor thread, where its connections live
    closed.set_value();
  });
  closed.get_future().wait();
  io_->stop();
  thread_.join();
}

Task<Result<RedisReply>> RedisKv::Command(std::string key, std::vector<std::string> args) {
  const std::function<void(std::function<void(Result<RedisReply>)>)> start =
      [this, &key, &args](std::function<void(Result<RedisReply>)> deliver) {
        asio::post(*io_, [this, key = std::move(key), args = std::move(args),
                          deliver = std::move(deliver)]() mutable {
          if (!topology_)  // shutting down
            return deliver(Error{ErrorCode::kUnavailable, "the KV store is shutting down"});
          topology_->Send(key, std::move(args), std::move(deliver));
        });
      };
  auto reply = co_await AwaitCallback<Result<RedisReply>>(start);
  if (!reply && reply.error().code == ErrorCode::kUnavailable) unavailable_.Increment();
  if (!reply && reply.error().code == ErrorCode::kTimeout) timeouts_.Increment();
  co_return reply;
}

Task<Result<RedisReply>> RedisKv::Script(const char* body, std::vector<std::string> keys,
                                         std::vector<std::string> args) {
  std::string count = std::to_string(keys.size());
  std::string first = keys.empty() ? std::string() : keys.front();
  auto command = Words({"EVAL", body, count});
  command.insert(command.end(), keys.begin(), keys.end());
  command.insert(command.end(), args.begin(), args.end());
  co_return co_await Command(std::move(first), std::move(command));
}

Task<Result<std::optional<std::string>>> RedisKv::Get(std::string key) {
  std::string prefixed = prefix_ + key;
  auto command = Words({"GET", prefixed});
  auto reply = co_await Command(prefixed, std::move(command));
  if (!reply) co_return std::move(reply).error();
  if (reply->type == RedisReply::Type::kNil) co_return std::optional<std::string>();
  if (reply->type != RedisReply::Type::kString) co_return Unexpected(*reply, "GET");
  co_return std::optional<std::string>(std::move(reply->text));
}

Task<Result<void>> RedisKv::Set(std::string key, std::string value, Ttl ttl) {
  std::string prefixed = prefix_ + key;
  auto command = Words({"SET", prefixed, value});
  if (ttl > kNoExpiry) {
    command.push_back("PX");
    command.push_back(std::to_string(ttl.count()));
  }
  auto reply = co_await Command(prefixed, std::move(command));
  if (!reply) co_return std::move(reply).error();
  co_return Ok();
}

Task<Result<bool>> RedisKv::Delete(std::string key) {
  std::string prefixed = prefix_ + key;
  auto command = Words({"DEL", prefixed});
  auto reply = co_await Command(prefixed, std::move(command));
  if (!reply) co_return std::move(reply).error();
  if (reply->type != RedisReply::Type::kInteger) co_return Unexpected(*reply, "DEL");
  co_return reply->integer > 0;
}

Task<Result<std::int64_t>> RedisKv::Increment(std::string key, std::int64_t delta, Ttl ttl) {
  std::string amount = std::to_string(delta);
  std::string ttl_ms = std::to_string(ttl.count());
  std::string prefixed = prefix_ + key;
  auto keys = Words({prefixed});
  auto args = Words({amount, ttl_ms});
  auto reply = co_await Script(kIncrementScript, std::move(keys), std::move(args));
  if (!reply) co_return std::move(reply).error();
  if (reply->type != RedisReply::Type::kInteger) co_return Unexpected(*reply, "increment");
  co_return reply->integer;
}

Task<Result<GcraDecision>> RedisKv::Gcra(std::string key, GcraParams params) {
  const double interval_us = static_cast<double>(params.emission_interval.count()) / 1000.0;
  std::string interval = fmt::format("{}", interval_us);
  std::string burst = std::to_string(std::max<std::int64_t>(1, params.burst));
  std::string prefixed = prefix_ + key;
  auto keys = Words({prefixed});
  auto args = Words({interval, burst});
  auto reply = co_await Script(kGcraScript, std::move(keys), std::move(args));
  if (!reply) co_return std::move(reply).error();
  if (reply->type != RedisReply::Type::kArray || reply->elements.size() != 4)
    co_return Unexpected(*reply, "gcra");
  GcraDecision decision;
  decision.allowed = reply->elements[0].integer == 1;
  decision.remaining = reply->elements[1].integer;
  decision.retry_after = std::chrono::microseconds(reply->elements[2].integer);
  decision.reset_after = std::chrono::microseconds(reply->elements[3].integer);
  co_return decision;
}

Task<Result<void>> RedisKv::Ping() {
  auto command = Words({"PING"});
  auto reply = co_await Command(std::string(), std::move(command));
  if (!reply) co_return std::move(reply).error();
  if (mode_ == RedisMode::kSingle) co_return Ok();
  std::vector<KvNode> nodes = co_await Nodes();
  std::string down;
  for (const auto& node : nodes) {
    if (node.role != "master" || node.reachable) continue;
    if (!down.empty()) down += ", ";
    down += node.name;
  }
  if (!down.empty()) co_return Error{ErrorCode::kUnavailable, "redis masters unreachable: " + down};
  co_return Ok();
}

Task<std::vector<KvNode>> RedisKv::Nodes() {
  const std::function<void(std::function<void(std::vector<KvNode>)>)> start =
      [this](std::function<void(std::vector<KvNode>)> deliver) {
        asio::post(*io_, [this, deliver = std::move(deliver)] {
          std::vector<KvNode> nodes;
          if (topology_)
            for (auto& node : topology_->Nodes()) nodes.push_back({node.node, node.role, node.reachable});
          deliver(std::move(nodes));
        });
      };
  co_return co_await AwaitCallback<std::vector<KvNode>>(start);
}

}  // namespace keel::kv
