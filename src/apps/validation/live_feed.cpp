// LiveFeed and LiveStream. A channel message is a word and a JSON object: "log {...}" or "stats {...}".
#include "apps/validation/live_feed.hpp"

#include <pthread.h>

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/json_text.hpp"
#include "core/rfc3339.hpp"

namespace keel::validation {

namespace asio = boost::asio;

namespace {

constexpr std::string_view kLogWord = "log ";
constexpr std::string_view kStatsWord = "stats ";
constexpr auto kStatsEvery = std::chrono::seconds(1);

std::string LogMessage(const StoredEvent& row, bool blocked) {
  std::string message(kLogWord);
  message += "{\"event\":";
  AppendJsonString(message, row.event_name);
  message += fmt::format(",\"valid\":{},\"blocked\":{},\"violations\":{}", row.valid, blocked,
                         row.valid ? std::string_view("[]") : std::string_view(row.violations));
  message += ",\"user_id\":";
  if (row.user_id)
    AppendJsonString(message, *row.user_id);
  else
    message += "null";
  message += fmt::format(",\"timestamp\":\"{}\",\"received_at\":\"{}\",\"properties\":{}}}",
                         FormatRfc3339(row.event_ms), FormatRfc3339(row.created_ms), row.properties);
  return message;
}

}  // namespace

std::string LiveChannel(std::string_view app_id) { return fmt::format("validation.live.{}", app_id); }

LiveFeed::LiveFeed(pubsub::PubSub& pubsub, const Clock& clock, std::int64_t log_events_per_second)
    : pubsub_(pubsub), clock_(clock), log_events_per_second_(log_events_per_second) {}

LiveFeed::~LiveFeed() { Stop(); }

void LiveFeed::Start() {
  ticker_ = std::thread([this] { Run(); });
}

void LiveFeed::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (ticker_.joinable()) ticker_.join();
}

void LiveFeed::Record(const std::string& app_id, const std::vector<const StoredEvent*>& rows,
                      const std::vector<bool>& blocked) {
  const std::int64_t second = clock_.WallMillis() / 1000;
  std::size_t show = 0;
  std::optional<std::string> finished;  // a past second the ticker has not published yet
  {
    std::lock_guard lock(mutex_);
    Second& counts = apps_[app_id];
    if (counts.second != second) {
      if (counts.events > 0) finished = StatsMessage(counts);
      counts = Second{second};
    }
    counts.events += static_cast<std::int64_t>(rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
      counts.invalid += rows[i]->valid ? 0 : 1;
      counts.blocked += blocked[i] ? 1 : 0;
    }
    show = static_cast<std::size_t>(std::clamp<std::int64_t>(log_events_per_second_ - counts.shown, 0,
                                                             static_cast<std::int64_t>(rows.size())));
    counts.shown += static_cast<std::int64_t>(show);
  }
  const std::string channel = LiveChannel(app_id);
  if (finished) pubsub_.Publish(channel, std::move(*finished));
  if (show == 0) return;
  // Spread the shown ones over the batch, so a sample of a large batch is not only its head.
  const std::size_t step = rows.size() / show;
  for (std::size_t i = 0; i < show; ++i)
    pubsub_.Publish(channel, LogMessage(*rows[i * step], blocked[i * step]));
}

std::string LiveFeed::StatsMessage(const Second& counts) {
  nlohmann::json stats = {
      {"events", counts.events}, {"invalid", counts.invalid}, {"blocked", counts.blocked}};
  return std::string(kStatsWord) + stats.dump();
}

void LiveFeed::PublishStats() {
  const std::int64_t second = clock_.WallMillis() / 1000;
  std::vector<std::pair<std::string, std::string>> messages;
  {
    std::lock_guard lock(mutex_);
    for (auto it = apps_.begin(); it != apps_.end();) {
      Second& counts = it->second;
      if (counts.second >= second) {  // still counting
        ++it;
        continue;
      }
      if (counts.events > 0) messages.emplace_back(LiveChannel(it->first), StatsMessage(counts));
      it = apps_.erase(it);
    }
  }
  for (auto& [channel, message] : messages) pubsub_.Publish(std::move(channel), std::move(message));
}

void LiveFeed::Run() {
  pthread_setname_np(pthread_self(), "keel-live");
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    // Just past each second's end, when its counts are complete.
    const std::int64_t now_ms = clock_.WallMillis();
    wake_.wait_for(lock, std::chrono::milliseconds(1000 - now_ms % 1000 + 5), [this] { return stopping_; });
    lock.unlock();
    PublishStats();
    lock.lock();
  }
}

LiveStream::LiveStream(asio::any_io_executor executor)
    : wakeup_(Wakeup::Make(std::move(executor))),
      next_stats_(std::chrono::steady_clock::now() + kStatsEvery) {}

std::shared_ptr<LiveStream> LiveStream::Open(pubsub::PubSub& pubsub, const std::string& app_id,
                                             asio::any_io_executor executor) {
  auto stream = std::shared_ptr<LiveStream>(new LiveStream(std::move(executor)));
  std::weak_ptr<LiveStream> weak = stream;
  stream->subscription_ =
      pubsub.Subscribe(LiveChannel(app_id), [weak](const std::string&, const std::string& message) {
        if (auto self = weak.lock()) self->Arrived(message);
      });
  return stream;
}

void LiveStream::Arrived(const std::string& message) {
  if (message.starts_with(kStatsWord)) {
    auto stats =
        nlohmann::json::parse(message.substr(kStatsWord.size()), nullptr, /*allow_exceptions=*/false);
    if (!stats.is_object()) return;
    std::lock_guard lock(mutex_);
    events_ += stats.value("events", std::int64_t{0});
    invalid_ += stats.value("invalid", std::int64_t{0});
    blocked_ += stats.value("blocked", std::int64_t{0});
    return;
  }
  if (!message.starts_with(kLogWord)) return;
  {
    std::lock_guard lock(mutex_);
    if (logs_.size() >= kMaxQueued) {
      logs_.pop_front();
      ++dropped_;
    }
    logs_.push_back(message.substr(kLogWord.size()));
  }
  wakeup_->Notify();
}

Task<std::optional<std::string>> LiveStream::Next() {
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (!logs_.empty()) {
        std::string chunk = fmt::format("event: log\ndata: {}\n\n", logs_.front());
        logs_.pop_front();
        co_return chunk;
      }
      if (std::chrono::steady_clock::now() >= next_stats_) {
        next_stats_ += kStatsEvery;
        if (next_stats_ < std::chrono::steady_clock::now())
          next_stats_ = std::chrono::steady_clock::now() + kStatsEvery;
        nlohmann::json stats = {{"events", std::exchange(events_, 0)},
                                {"invalid", std::exchange(invalid_, 0)},
                                {"blocked", std::exchange(blocked_, 0)},
                                {"dropped", std::exchange(dropped_, 0)}};
        co_return fmt::format("event: stats\ndata: {}\n\n", stats.dump());
      }
    }
    co_await wakeup_->Wait(next_stats_);
  }
}

}  // namespace keel::validation
