// What GET /api/v1/apps/{app_id}/live shows, across instances, through the platform's publish/subscribe:
//   - the ingest path hands every stored batch to Record, which publishes its events as `log` messages on the
//     app's channel, up to `log_events_per_second` per app and instance (beyond that, the rest of the
//     second's events are counted but not shown: a live view samples, the log keeps everything);
//   - once a second, each instance publishes a `stats` message per app it ingested for: the counts of that
//     second;
//   - each SSE connection (LiveStream) subscribes to its app's channel, passes `log` messages on as they
//     come, and sends a `stats` event every second with the counts the instances reported since the last one.
//
// Thread safety: Record from any IO thread; Start and Stop from one thread. A LiveStream belongs to its
// connection's IO thread; the pub/sub's handler only queues and wakes it (core/wakeup.hpp).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <utility>  // before Boost

#include <boost/asio/any_io_executor.hpp>

#include "apps/validation/event_writer.hpp"
#include "apps/validation/rule_set.hpp"
#include "core/async.hpp"
#include "core/clock.hpp"
#include "core/wakeup.hpp"
#include "storage/pubsub/pubsub.hpp"

namespace keel::validation {

// The channel of an app's live messages.
std::string LiveChannel(std::string_view app_id);

class LiveFeed {
 public:
  LiveFeed(pubsub::PubSub& pubsub, const Clock& clock, std::int64_t log_events_per_second);
  ~LiveFeed();

  void Start();
  void Stop();

  // After a batch was stored: `rows[i]` with `blocked[i]` (kept aside) for each event.
  void Record(const std::string& app_id, const std::vector<const StoredEvent*>& rows,
              const std::vector<bool>& blocked);

  // Publishes the finished second's counts now (the ticker does this once a second).
  void PublishStats();

 private:
  struct Second {
    std::int64_t second = 0;  // Unix seconds
    std::int64_t events = 0;
    std::int64_t invalid = 0;
    std::int64_t blocked = 0;
    std::int64_t shown = 0;  // log messages published this second
  };

  // "stats {...}": a finished second's counts, as published.
  static std::string StatsMessage(const Second& counts);
  void Run();

  pubsub::PubSub& pubsub_;
  const Clock& clock_;
  const std::int64_t log_events_per_second_;
  std::mutex mutex_;
  std::map<std::string, Second, std::less<>> apps_;  // GUARDED_BY(mutex_)
  bool stopping_ = false;                            // GUARDED_BY(mutex_)
  std::condition_variable wake_;
  std::thread ticker_;
};

// One viewer's stream: SSE chunks for the server to write, in order.
class LiveStream : public std::enable_shared_from_this<LiveStream> {
 public:
  // Subscribes at once, so nothing published after the answer's head is missed.
  static std::shared_ptr<LiveStream> Open(pubsub::PubSub& pubsub, const std::string& app_id,
                                          boost::asio::any_io_executor executor);

  // The next chunk: a `log` event as soon as one arrives, a `stats` event every second.
  Task<std::optional<std::string>> Next();

 private:
  explicit LiveStream(boost::asio::any_io_executor executor);
  void Arrived(const std::string& message);  // on the pub/sub's thread

  static constexpr std::size_t kMaxQueued = 1000;  // a viewer that falls further behind loses the oldest

  std::shared_ptr<Wakeup> wakeup_;  // on the connection's executor: Arrived ends its wait
  std::unique_ptr<pubsub::Subscription> subscription_;
  std::mutex mutex_;
  std::deque<std::string> logs_;  // GUARDED_BY(mutex_): JSON of `log` messages
  std::int64_t events_ = 0;       // GUARDED_BY(mutex_): counts of `stats` messages since the last stats event
  std::int64_t invalid_ = 0;      // GUARDED_BY(mutex_)
  std::int64_t blocked_ = 0;      // GUARDED_BY(mutex_)
  std::int64_t dropped_ = 0;      // GUARDED_BY(mutex_): logs this viewer fell too far behind to see
  std::chrono::steady_clock::time_point next_stats_;
};

}  // namespace keel::validation
