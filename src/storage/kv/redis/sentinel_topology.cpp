// SentinelTopology: asking the sentinels, confirming the master, following failovers.
#include "storage/kv/redis/sentinel_topology.hpp"

#include <charconv>
#include <map>
#include <sstream>
#include <utility>

#include <fmt/format.h>
#include <boost/asio/io_context.hpp>

#include "core/log.hpp"

namespace keel::kv {

namespace asio = boost::asio;

namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kDiscoverySpacing = std::chrono::milliseconds(50);

bool IsReadOnly(const Error& error) {
  return error.code == ErrorCode::kInternal && error.message.starts_with("redis: READONLY");
}

// A ROLE answer naming the node a master.
bool SaysMaster(const RedisReply& role) {
  return role.type == RedisReply::Type::kArray && !role.elements.empty() && role.elements[0].text == "master";
}

}  // namespace

SentinelTopology::SentinelTopology(boost::asio::io_context& io, std::vector<RedisEndpoint> sentinels,
                                   std::string master_name, const RedisTopologyOptions& options,
                                   RedisMetrics& metrics)
    : io_(io),
      data_(sentinels.empty() ? RedisEndpoint{} : sentinels.front()),
      master_name_(std::move(master_name)),
      options_(options),
      metrics_(metrics),
      retired_(io),
      tick_(io) {
  for (auto sentinel : sentinels) {
    // Sentinels keep no data: no password or database of the data nodes goes to them.
    sentinel.password.clear();
    sentinel.database = 0;
    sentinels_.push_back(std::make_unique<RedisConnection>(io_, sentinel, options_.timeout));
    listeners_.push_back(std::make_unique<RedisConnection>(io_, sentinel, options_.timeout));
    listeners_.back()->SubscribePattern(
        "+switch-master",
        [this, alive = alive_](std::string, std::string message) {
          if (*alive) OnAnnouncement(message);
        },
        [this, alive = alive_] {
          // (Re)subscribed: an announcement may have been missed while this sentinel was away.
          if (*alive) Discover();
        });
  }
  Tick();
}

SentinelTopology::~SentinelTopology() {
  *alive_ = false;
  tick_.cancel();
  const Error closing{ErrorCode::kUnavailable, "the KV store is shutting down"};
  for (auto& command : waiting_) command->Finish(closing);
}

void SentinelTopology::Send(std::string_view, std::vector<std::string> args, RedisConnection::Done done) {
  auto command = std::make_shared<PendingCommand>();
  command->args = std::move(args);
  command->done = std::move(done);
  command->deadline = Clock::now() + options_.timeout;
  if (!master_ || !confirmed_ || !master_->Ready()) {
    if (master_ && confirmed_ && master_->EverReady()) {
      // The master went away: fail now (the caller degrades) and find the next one.
      Discover();
      return command->Finish(
          Error{ErrorCode::kUnavailable, fmt::format("redis master {} is unreachable", master_->name())});
    }
    ParkCommand(waiting_, command);
    Discover();
    auto timer = std::make_shared<boost::asio::steady_timer>(io_, command->deadline);
    timer->async_wait([command, timer, name = master_name_](const boost::system::error_code&) {
      if (command->parked)
        command->Finish(Error{ErrorCode::kUnavailable,
                              fmt::format("redis sentinel: no confirmed master for '{}' yet", name)});
    });
    return;
  }
  NodePool* used = master_.get();
  master_->Send(command->args, [this, command, used, alive = alive_](Result<RedisReply> reply) {
    // Only the master still in use speaks for it: a late READONLY from one replaced meanwhile does not.
    if (*alive && !reply && used == master_.get()) {
      if (IsReadOnly(reply.error())) {
        log::Warn("redis sentinel: the master answers as a replica", log::Fields().Add("node", used->name()));
        confirmed_ = false;
        Discover();
      } else if (reply.error().code == ErrorCode::kUnavailable || reply.error().code == ErrorCode::kTimeout) {
        Discover();
      }
    }
    command->Finish(std::move(reply));
  });
}

void SentinelTopology::Discover() {
  if (discovering_ || Clock::now() - last_discovery_ < kDiscoverySpacing) return;
  discovering_ = true;
  last_discovery_ = Clock::now();
  struct Poll {
    std::size_t unanswered = 0;
    std::map<std::pair<std::string, int>, int> votes;
  };
  auto poll = std::make_shared<Poll>();
  poll->unanswered = sentinels_.size();
  for (auto& sentinel : sentinels_) {
    // A sentinel that is not connected answers at once (unavailable): the poll ends when all have answered.
    sentinel->Send({"SENTINEL", "get-master-addr-by-name", master_name_}, [this, poll, alive = alive_](
                                                                              Result<RedisReply> reply) {
      int port = 0;
      if (reply && reply->type == RedisReply::Type::kArray && reply->elements.size() == 2) {
        const std::string& text = reply->elements[1].text;
        if (std::from_chars(text.data(), text.data() + text.size(), port).ec == std::errc() && port > 0)
          ++poll->votes[{reply->elements[0].text, port}];
      }
      if (--poll->unanswered > 0 || !*alive) return;
      discovering_ = false;
      // The address most sentinels name; on a tie, the one in use.
      const std::pair<std::string, int>* chosen = nullptr;
      int most = 0;
      for (const auto& [address, count] : poll->votes) {
        bool in_use = master_ && master_->endpoint().host == address.first &&
                      master_->endpoint().port == address.second;
        if (count > most || (count == most && in_use)) {
          chosen = &address;
          most = count;
        }
      }
      if (chosen == nullptr) {
        log::Debug("redis sentinel: no sentinel named a master", log::Fields().Add("name", master_name_));
        return;
      }
      Consider(chosen->first, chosen->second);
    });
  }
}

void SentinelTopology::Consider(const std::string& host, int port) {
  auto same = [&](const std::unique_ptr<NodePool>& pool) {
    return pool && pool->endpoint().host == host && pool->endpoint().port == port;
  };
  if (same(master_)) {
    retired_.Add(std::move(candidate_));  // the master in use is named again: any other candidate is stale
    if (!confirmed_) Confirm();
    return;
  }
  if (!same(candidate_)) {
    RedisEndpoint endpoint = data_;
    endpoint.host = host;
    endpoint.port = port;
    retired_.Add(std::move(candidate_));
    candidate_ = std::make_unique<NodePool>(io_, std::move(endpoint), options_.connections, options_.timeout,
                                            metrics_);
    checking_ = false;
    candidate_polls_ = 0;
  }
  CheckCandidate();
}

// A node the sentinels name may not know it yet (a failover in progress): it replaces the master only once it
// answers ROLE with "master".
void SentinelTopology::CheckCandidate() {
  if (!candidate_ || checking_) return;
  if (!candidate_->Ready()) {
    // Its connections are opening: look again shortly rather than at the next tick.
    if (candidate_->EverReady() || ++candidate_polls_ > 200) return;  // then the tick looks
    auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(5));
    timer->async_wait(
        [this, timer, asked = candidate_.get(), alive = alive_](const boost::system::error_code&) {
          if (*alive && asked == candidate_.get()) CheckCandidate();
        });
    return;
  }
  checking_ = true;
  NodePool* asked = candidate_.get();
  asked->Send({"ROLE"}, [this, asked, alive = alive_](Result<RedisReply> reply) {
    if (!*alive || asked != candidate_.get()) return;  // replaced meanwhile
    checking_ = false;
    if (reply && SaysMaster(*reply)) return Promote();
    log::Debug("redis sentinel: the node named master is not one (yet)",
               log::Fields().Add("node", asked->name()));
    if (reply) retired_.Add(std::move(candidate_));  // it answered as a replica: ask again later
  });
}

void SentinelTopology::Promote() {
  if (master_) {
    metrics_.master_changes().Increment();
    log::Warn("redis sentinel: the master changed",
              log::Fields().Add("from", master_->name()).Add("to", candidate_->name()));
  }
  retired_.Add(std::move(master_));
  master_ = std::move(candidate_);
  confirmed_ = true;
  FlushWaiting();
}

void SentinelTopology::Confirm() {
  if (!master_ || confirming_ || !master_->Ready()) return;
  confirming_ = true;
  NodePool* asked = master_.get();
  asked->Send({"ROLE"}, [this, asked, alive = alive_](Result<RedisReply> reply) {
    if (!*alive) return;
    confirming_ = false;
    if (asked != master_.get() || !reply) return;  // replaced meanwhile, or no answer (not a verdict)
    bool master = SaysMaster(*reply);
    if (master && !confirmed_) {
      confirmed_ = true;
      FlushWaiting();
    } else if (!master && confirmed_) {
      log::Warn("redis sentinel: the master answers as a replica", log::Fields().Add("node", asked->name()));
      confirmed_ = false;
      Discover();
    }
  });
}

void SentinelTopology::OnAnnouncement(const std::string& message) {
  // "<name> <old-ip> <old-port> <new-ip> <new-port>": a failover the sentinels' majority agreed on.
  std::istringstream words(message);
  std::string name, old_host, old_port, new_host;
  int new_port = 0;
  if (!(words >> name >> old_host >> old_port >> new_host >> new_port) || name != master_name_) return;
  Consider(new_host, new_port);
}

void SentinelTopology::FlushWaiting() {
  auto waiting = std::move(waiting_);
  waiting_.clear();
  for (auto& command : waiting) {
    if (command->finished) continue;
    command->parked = false;
    master_->Send(command->args, [command](Result<RedisReply> reply) { command->Finish(std::move(reply)); });
  }
}

void SentinelTopology::Tick() {
  if (!master_ || !confirmed_ || !master_->Ready()) {
    Discover();
    CheckCandidate();
    Confirm();
  } else if (Clock::now() - last_discovery_ >= kConfirmEvery) {
    Discover();
    Confirm();
  }
  tick_.expires_after(kRecheck);
  tick_.async_wait([this, alive = alive_](const boost::system::error_code& ec) {
    if (!ec && *alive) Tick();
  });
}

std::vector<RedisNodeState> SentinelTopology::Nodes() const {
  std::vector<RedisNodeState> nodes;
  if (master_) nodes.push_back({master_->name(), confirmed_ ? "master" : "unconfirmed", master_->Ready()});
  if (candidate_) nodes.push_back({candidate_->name(), "candidate", candidate_->Ready()});
  for (const auto& sentinel : sentinels_)
    nodes.push_back({NodeName(sentinel->endpoint()), "sentinel", sentinel->Ready()});
  return nodes;
}

std::optional<RedisEndpoint> SentinelTopology::SubscriptionNode() const {
  if (master_ && confirmed_) return master_->endpoint();
  return std::nullopt;
}

}  // namespace keel::kv
