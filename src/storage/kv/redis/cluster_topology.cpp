// ClusterTopology: the slot map, redirects, and re-reading the map when the cluster changes.
#include "storage/kv/redis/cluster_topology.hpp"

#include <algorithm>
#include <charconv>
#include <set>
#include <string_view>
#include <utility>

#include <fmt/format.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "core/log.hpp"
#include "storage/kv/redis/redis_slots.hpp"

namespace keel::kv {

namespace {

using Clock = std::chrono::steady_clock;

// A MOVED refresh waits this long after the last one: a failover answers MOVED to many commands at once.
constexpr auto kRefreshSpacing = std::chrono::milliseconds(100);
// The map is read again this often even when nothing said it changed (a resharding done with ASK only).
constexpr auto kFullRefresh = std::chrono::seconds(10);

struct Redirect {
  int slot = -1;
  std::string host;
  int port = 0;
};

// "MOVED 3999 127.0.0.1:6381" or "ASK 3999 127.0.0.1:6381", after the connection's "redis: " prefix.
std::optional<Redirect> ParseRedirect(std::string_view text, std::string_view word) {
  if (!text.starts_with(word) || text.size() <= word.size() || text[word.size()] != ' ') return std::nullopt;
  text.remove_prefix(word.size() + 1);
  auto space = text.find(' ');
  auto colon = text.rfind(':');
  if (space == std::string_view::npos || colon == std::string_view::npos || colon < space)
    return std::nullopt;
  Redirect redirect;
  std::string_view slot = text.substr(0, space);
  std::string_view port = text.substr(colon + 1);
  if (std::from_chars(slot.data(), slot.data() + slot.size(), redirect.slot).ec != std::errc() ||
      std::from_chars(port.data(), port.data() + port.size(), redirect.port).ec != std::errc() ||
      redirect.slot < 0 || redirect.slot >= kRedisSlots)
    return std::nullopt;
  redirect.host = std::string(text.substr(space + 1, colon - space - 1));
  return redirect;
}

std::string_view ErrorReply(const Error& error) {
  std::string_view text = error.message;
  constexpr std::string_view kPrefix = "redis: ";
  if (error.code != ErrorCode::kInternal || !text.starts_with(kPrefix)) return {};
  return text.substr(kPrefix.size());
}

}  // namespace

ClusterTopology::ClusterTopology(boost::asio::io_context& io, std::vector<RedisEndpoint> seeds,
                                 const RedisTopologyOptions& options, RedisMetrics& metrics)
    : io_(io),
      shared_(seeds.empty() ? RedisEndpoint{} : seeds.front()),
      options_(options),
      metrics_(metrics),
      slots_(kRedisSlots, nullptr),
      tick_(io),
      soon_(io) {
  for (const auto& seed : seeds) seeds_.insert(PoolAt(seed.host, seed.port).name());
  Refresh();
  Tick();
}

ClusterTopology::~ClusterTopology() {
  *alive_ = false;
  tick_.cancel();
  soon_.cancel();
  // Every command still waiting is answered: its caller's coroutine must not wait for ever.
  for (const auto& command : parked_)
    command->Finish(Error{ErrorCode::kUnavailable, "the KV store is shutting down"});
  for (const auto& command : retrying_)
    command->Finish(Error{ErrorCode::kUnavailable, "the KV store is shutting down"});
}

NodePool& ClusterTopology::PoolAt(const std::string& host, int port) {
  RedisEndpoint endpoint = shared_;
  endpoint.host = host;
  endpoint.port = port;
  endpoint.database = 0;
  std::string name = NodeName(endpoint);
  auto it = pools_.find(name);
  if (it == pools_.end())
    it = pools_
             .emplace(name, std::make_unique<NodePool>(io_, std::move(endpoint), options_.connections,
                                                       options_.timeout, metrics_))
             .first;
  return *it->second;
}

NodePool* ClusterTopology::AnyMaster() const {
  // Spread key-less commands (PING, PUBLISH) by starting the search at a moving slot.
  for (std::size_t step = 0; step < 16; ++step) {
    NodePool* pool = slots_[(turn_++ * 1031) % slots_.size()];
    if (pool != nullptr && pool->Ready()) return pool;
  }
  for (NodePool* pool : slots_)
    if (pool != nullptr && pool->Ready()) return pool;
  return nullptr;
}

void ClusterTopology::Send(std::string_view key, std::vector<std::string> args, RedisConnection::Done done) {
  auto command = std::make_shared<PendingCommand>();
  command->slot = key.empty() ? -1 : KeySlot(key);
  command->args = std::move(args);
  command->done = std::move(done);
  command->deadline = Clock::now() + options_.timeout;
  Dispatch(command);
}

void ClusterTopology::Dispatch(const std::shared_ptr<PendingCommand>& command) {
  NodePool* pool = command->slot < 0 ? AnyMaster() : slots_[static_cast<std::size_t>(command->slot)];
  if (pool == nullptr) return Park(command);  // the map does not name an owner yet
  if (!pool->Ready()) {
    // A node just learnt of (its connections are opening) is worth the wait; one that stopped answering is
    // not: its slots move only when its replica is promoted, and the caller degrades meanwhile.
    RefreshSoon();
    Error unreachable{ErrorCode::kUnavailable, fmt::format("redis node {} is unreachable", pool->name())};
    if (pool->EverReady()) return command->Finish(std::move(unreachable));
    return RetryLater(command, std::chrono::milliseconds(10), std::move(unreachable));
  }
  const std::string host = pool->endpoint().host;
  pool->Send(command->args, [this, command, host, alive = alive_](Result<RedisReply> reply) {
    if (*alive) return OnReply(command, host, std::move(reply));
    command->Finish(std::move(reply));  // the pool is closing with the topology: an unavailable answer
  });
}

void ClusterTopology::OnReply(const std::shared_ptr<PendingCommand>& command, const std::string& answered_by,
                              Result<RedisReply> reply) {
  if (reply) return command->Finish(std::move(reply));
  const Error& error = reply.error();
  std::string_view text = ErrorReply(error);
  auto moved = ParseRedirect(text, "MOVED");
  auto ask = moved ? std::nullopt : ParseRedirect(text, "ASK");
  // "MOVED 3999 :6380": a node configured not to name endpoints means its own host.
  for (auto* redirect : {&moved, &ask})
    if (*redirect && (*redirect)->host.empty()) (*redirect)->host = answered_by;
  if ((moved || ask) && ++command->redirects > kMaxRedirects)
    return command->Finish(Error{
        ErrorCode::kUnavailable,
        fmt::format("redis cluster: more than {} redirects for one command ({})", kMaxRedirects, text)});
  if (moved) {
    metrics_.moved().Increment();
    slots_[static_cast<std::size_t>(moved->slot)] = &PoolAt(moved->host, moved->port);
    RefreshSoon();
    if (command->slot < 0) command->slot = moved->slot;
    return Dispatch(command);
  }
  if (ask) {
    metrics_.asked().Increment();
    NodePool& target = PoolAt(ask->host, ask->port);
    if (!target.Ready()) {
      Error unreachable{ErrorCode::kUnavailable, fmt::format("redis node {} is unreachable", target.name())};
      if (target.EverReady()) return command->Finish(std::move(unreachable));
      --command->redirects;  // waiting for a new node's connections is not another redirect
      return RetryLater(command, std::chrono::milliseconds(10), std::move(unreachable));
    }
    const std::string host = target.endpoint().host;
    target.SendAsking(command->args, [this, command, host, alive = alive_](Result<RedisReply> again) {
      if (*alive) return OnReply(command, host, std::move(again));
      command->Finish(std::move(again));
    });
    return;
  }
  // A slot in the middle of a migration (a multi-key command), or a cluster that lost a slot's master and has
  // not promoted its replica yet: both pass.
  if (text.starts_with("TRYAGAIN") || text.starts_with("CLUSTERDOWN")) {
    if (text.starts_with("CLUSTERDOWN")) RefreshSoon();
    return RetryLater(command, std::chrono::milliseconds(25), error);
  }
  // An unreachable or silent node: its slots may have moved (a failover).
  if (error.code == ErrorCode::kUnavailable || error.code == ErrorCode::kTimeout) RefreshSoon();
  command->Finish(std::move(reply));
}

void ClusterTopology::RetryLater(const std::shared_ptr<PendingCommand>& command,
                                 std::chrono::milliseconds delay, Error error) {
  if (Clock::now() + delay >= command->deadline) return command->Finish(std::move(error));
  auto timer = std::make_shared<boost::asio::steady_timer>(io_, delay);
  retrying_.insert(command);
  timer->async_wait([this, command, timer, alive = alive_](const boost::system::error_code&) {
    if (!*alive) return;  // finished by the destructor
    retrying_.erase(command);
    Dispatch(command);
  });
}

void ClusterTopology::Park(const std::shared_ptr<PendingCommand>& command) {
  // Commands that timed out stay in the list until it is flushed: drop them as it grows (a long outage).
  // (At each power of two from 1024 on: amortized constant.)
  if (const std::size_t n = parked_.size(); n >= 1024 && (n & (n - 1)) == 0)
    std::erase_if(parked_, [](const auto& parked) { return parked->finished; });
  command->parked = true;
  parked_.push_back(command);
  Refresh();
  // Its own deadline: the map may take longer than the caller may wait. A command sent on meanwhile is
  // answered by its node (or its connection's time-out), not by this.
  auto timer = std::make_shared<boost::asio::steady_timer>(io_, command->deadline);
  timer->async_wait([command, timer, alive = alive_](const boost::system::error_code&) {
    if (*alive && command->parked)
      command->Finish(
          Error{ErrorCode::kUnavailable,
                "redis cluster: no reachable node owns the key's slot (the slot map is not known)"});
  });
}

void ClusterTopology::RefreshSoon() {
  if (Clock::now() - last_refresh_ >= kRefreshSpacing) Refresh();
}

void ClusterTopology::Refresh() {
  if (refreshing_) {
    refresh_again_ = true;
    return;
  }
  refreshing_ = true;
  refresh_again_ = false;
  last_refresh_ = Clock::now();
  metrics_.slot_refreshes().Increment();
  AskForSlots(0);
}

// Asks the candidate-th answering node for the map; on failure, the next one. When none answers (all of them
// down, or still connecting at start), the tick tries again.
void ClusterTopology::AskForSlots(std::size_t candidate) {
  std::vector<NodePool*> answering;
  for (auto& [name, pool] : pools_)
    if (pool->Ready()) answering.push_back(pool.get());
  if (candidate >= answering.size()) {
    refreshing_ = false;
    // At start-up no connection is open yet: commands waiting for the map should not wait for the tick.
    bool waiting = std::any_of(parked_.begin(), parked_.end(), [](const auto& c) { return !c->finished; });
    if (answering.empty() && waiting && !soon_scheduled_) {
      soon_scheduled_ = true;
      soon_.expires_after(std::chrono::milliseconds(10));
      soon_.async_wait([this, alive = alive_](const boost::system::error_code& ec) {
        if (ec || !*alive) return;
        soon_scheduled_ = false;
        Refresh();
      });
    }
    return;
  }
  NodePool* pool = answering[candidate];
  // The pool may be retired before the answer comes: keep what the answer needs, not the pool.
  pool->Send({"CLUSTER", "SLOTS"}, [this, name = pool->name(), host = pool->endpoint().host, candidate,
                                    alive = alive_](Result<RedisReply> reply) {
    if (!*alive) return;
    if (!reply || !ApplySlots(*reply, host)) {
      log::Debug("redis cluster: no slot map from a node",
                 log::Fields().Add("node", name).Add("error", reply ? "malformed" : reply.error().message));
      return AskForSlots(candidate + 1);
    }
    refreshing_ = false;
    last_full_refresh_ = Clock::now();
    RetireStrangers();
    FlushParked();
    if (refresh_again_) Refresh();
  });
}

// Nodes that are neither seeds nor in the map and do not answer (a replaced pod's old address) are closed,
// so the pool list does not grow with every address the cluster ever had.
void ClusterTopology::RetireStrangers() {
  std::set<const NodePool*> in_map(slots_.begin(), slots_.end());
  for (auto it = pools_.begin(); it != pools_.end();) {
    if (seeds_.contains(it->first) || in_map.contains(it->second.get()) || it->second->Ready()) {
      ++it;
      continue;
    }
    retired_.push_back(std::move(it->second));
    it = pools_.erase(it);
  }
  if (retired_.empty()) return;
  // Not here: this may run inside one of their connections' callbacks.
  boost::asio::post(io_, [this, alive = alive_] {
    if (*alive) retired_.clear();
  });
}

bool ClusterTopology::ApplySlots(const RedisReply& reply, const std::string& asked_host) {
  if (reply.type != RedisReply::Type::kArray || reply.elements.empty()) return false;
  std::vector<NodePool*> owners(kRedisSlots, nullptr);
  for (const auto& range : reply.elements) {
    // [start, end, [host, port, id, ...], replicas...]
    if (range.type != RedisReply::Type::kArray || range.elements.size() < 3) return false;
    const auto& master = range.elements[2];
    if (range.elements[0].type != RedisReply::Type::kInteger ||
        range.elements[1].type != RedisReply::Type::kInteger || master.type != RedisReply::Type::kArray ||
        master.elements.size() < 2 || master.elements[1].type != RedisReply::Type::kInteger)
      return false;
    const std::int64_t start = range.elements[0].integer, end = range.elements[1].integer;
    if (start < 0 || end >= kRedisSlots || start > end) return false;
    // An empty host means "the address you asked"; "?" an endpoint the node does not know: no owner yet.
    if (master.elements[0].text == "?") continue;
    std::string host = master.elements[0].text.empty() ? asked_host : master.elements[0].text;
    NodePool* owner = &PoolAt(host, static_cast<int>(master.elements[1].integer));
    for (std::int64_t slot = start; slot <= end; ++slot) owners[static_cast<std::size_t>(slot)] = owner;
  }
  slots_ = std::move(owners);
  return true;
}

void ClusterTopology::FlushParked() {
  auto parked = std::move(parked_);
  parked_.clear();
  for (auto& command : parked) {
    if (command->finished) continue;
    command->parked = false;
    NodePool* pool = command->slot < 0 ? AnyMaster() : slots_[static_cast<std::size_t>(command->slot)];
    if (pool == nullptr) {
      command->Finish(Error{ErrorCode::kUnavailable, "redis cluster: no node owns the key's slot"});
      continue;
    }
    Dispatch(command);
  }
}

// Every kRecheck: read the map again while a master does not answer (its replica's promotion shows up there)
// or commands wait for one, and every kFullRefresh regardless.
void ClusterTopology::Tick() {
  bool master_down = false;
  std::set<NodePool*> masters(slots_.begin(), slots_.end());
  for (NodePool* pool : masters)
    if (pool != nullptr && !pool->Ready()) master_down = true;  // (a slot no one owns is not a master down)
  if (master_down || !parked_.empty() || Clock::now() - last_full_refresh_ >= kFullRefresh) Refresh();
  tick_.expires_after(kRecheck);
  tick_.async_wait([this, alive = alive_](const boost::system::error_code& ec) {
    if (!ec && *alive) Tick();
  });
}

std::vector<RedisNodeState> ClusterTopology::Nodes() const {
  std::set<const NodePool*> masters(slots_.begin(), slots_.end());
  std::vector<RedisNodeState> nodes;
  for (const auto& [name, pool] : pools_)
    nodes.push_back({name, masters.contains(pool.get()) ? "master" : "known", pool->Ready()});
  return nodes;
}

std::optional<RedisEndpoint> ClusterTopology::SubscriptionNode() const {
  // PUBLISH in a cluster reaches every node, so any node that answers hears everything.
  if (NodePool* master = AnyMaster()) return master->endpoint();
  for (const auto& [name, pool] : pools_)
    if (pool->Ready()) return pool->endpoint();
  return std::nullopt;
}

}  // namespace keel::kv
