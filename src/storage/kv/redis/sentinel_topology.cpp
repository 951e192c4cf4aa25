// SentinelTopology: asking the sentinels, confirming the master, following failovers.
#include "storage/kv/redis/sentinel_topology.hpp"

#include <charconv>
#include <sstream>
#include <utility>

#include <fmt/format.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "core/log.hpp"

namespace keel::kv {

namespace asio = boost::asio;

namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kDiscoverySpacing = std::chrono::milliseconds(50);

bool IsReadOnly(const Error& error) {
  return error.code == ErrorCode::kInternal && error.message.starts_with("redis: READONLY");
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
  for (auto& command : waiting_)
    command->Finish(Error{ErrorCode::kUnavailable, "the KV store is shutting down"});
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
    // Commands that timed out stay in the list until it is flushed: drop them as it grows (a long outage).
    // (At each power of two from 1024 on: amortized constant.)
    if (const std::size_t n = waiting_.size(); n >= 1024 && (n & (n - 1)) == 0)
      std::erase_if(waiting_, [](const auto& waiting) { return waiting->finished; });
    waiting_.push_back(command);
    Discover();
    auto timer = std::make_shared<boost::asio::steady_timer>(io_, command->deadline);
    timer->async_wait([command, timer, name = master_name_](const boost::system::error_code&) {
      command->Finish(Error{ErrorCode::kUnavailable,
                            fmt::format("redis sentinel: no confirmed master for '{}' yet", name)});
    });
    return;
  }
  master_->Send(command->args, [this, command, alive = alive_](Result<RedisReply> reply) {
    if (*alive && !reply && (IsReadOnly(reply.error()) || reply.error().code == ErrorCode::kUnavailable)) {
      confirmed_ = !IsReadOnly(reply.error()) && confirmed_;
      Discover();
    }
    command->Finish(std::move(reply));
  });
}

void SentinelTopology::Discover() {
  if (discovering_ || Clock::now() - last_discovery_ < kDiscoverySpacing) return;
  discovering_ = true;
  last_discovery_ = Clock::now();
  AskSentinel(0);
}

void SentinelTopology::AskSentinel(std::size_t index) {
  if (index >= sentinels_.size()) {
    discovering_ = false;  // none answered: the tick asks again
    return;
  }
  sentinels_[index]->Send(
      {"SENTINEL", "get-master-addr-by-name", master_name_},
      [this, index, alive = alive_](Result<RedisReply> reply) {
        if (!*alive) return;
        if (!reply || reply->type != RedisReply::Type::kArray || reply->elements.size() != 2) {
          log::Debug("redis sentinel: no master from a sentinel",
                     log::Fields()
                         .Add("sentinel", NodeName(sentinels_[index]->endpoint()))
                         .Add("error", reply ? "it does not know the master's name" : reply.error().message));
          return AskSentinel(index + 1);
        }
        int port = 0;
        const std::string& port_text = reply->elements[1].text;
        if (std::from_chars(port_text.data(), port_text.data() + port_text.size(), port).ec != std::errc())
          return AskSentinel(index + 1);
        discovering_ = false;
        UseMaster(reply->elements[0].text, port);
      });
}

void SentinelTopology::UseMaster(const std::string& host, int port) {
  if (!master_ || master_->endpoint().host != host || master_->endpoint().port != port) {
    RedisEndpoint endpoint = data_;
    endpoint.host = host;
    endpoint.port = port;
    if (master_) {
      metrics_.master_changes().Increment();
      log::Warn("redis sentinel: the master changed",
                log::Fields().Add("from", master_->name()).Add("to", NodeName(endpoint)));
      // Not destroyed here: this may run inside one of its connections' callbacks.
      asio::post(io_, [old = std::shared_ptr<NodePool>(std::move(master_))] {});
    }
    master_ = std::make_unique<NodePool>(io_, std::move(endpoint), options_.connections, options_.timeout,
                                         metrics_);
    confirmed_ = false;
    confirm_polls_ = 0;
  }
  Confirm();
}

// A node the sentinels name may not know it yet (a failover in progress): commands go to it only once it
// answers ROLE with "master".
void SentinelTopology::Confirm() {
  if (!master_ || confirming_) return;
  if (!master_->Ready()) {
    // Its connections are opening (a new master): look again shortly rather than at the next tick.
    if (master_->EverReady() || ++confirm_polls_ > 200) return;  // then the tick looks
    auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(5));
    timer->async_wait([this, timer, asked = master_.get(), alive = alive_](const boost::system::error_code&) {
      if (*alive && asked == master_.get()) Confirm();
    });
    return;
  }
  confirming_ = true;
  NodePool* asked = master_.get();
  asked->Send({"ROLE"}, [this, asked, alive = alive_](Result<RedisReply> reply) {
    if (!*alive) return;
    confirming_ = false;
    if (asked != master_.get()) return;  // replaced meanwhile
    confirmed_ = reply && reply->type == RedisReply::Type::kArray && !reply->elements.empty() &&
                 reply->elements[0].text == "master";
    if (confirmed_) FlushWaiting();
  });
}

void SentinelTopology::OnAnnouncement(const std::string& message) {
  // "<name> <old-ip> <old-port> <new-ip> <new-port>"
  std::istringstream words(message);
  std::string name, old_host, old_port, new_host;
  int new_port = 0;
  if (!(words >> name >> old_host >> old_port >> new_host >> new_port) || name != master_name_) return;
  UseMaster(new_host, new_port);
}

void SentinelTopology::FlushWaiting() {
  auto waiting = std::move(waiting_);
  waiting_.clear();
  for (auto& command : waiting) {
    if (command->finished) continue;
    master_->Send(command->args, [command](Result<RedisReply> reply) { command->Finish(std::move(reply)); });
  }
}

void SentinelTopology::Tick() {
  if (!master_ || !master_->Ready()) {
    Discover();
  } else if (!confirmed_) {
    Confirm();
    Discover();  // it may have been demoted before it was confirmed
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
  for (const auto& sentinel : sentinels_)
    nodes.push_back({NodeName(sentinel->endpoint()), "sentinel", sentinel->Ready()});
  return nodes;
}

std::optional<RedisEndpoint> SentinelTopology::SubscriptionNode() const {
  if (master_ && confirmed_) return master_->endpoint();
  return std::nullopt;
}

}  // namespace keel::kv
