// The subscribers of one process, by channel: both backends deliver through it.
//
// Thread safety: safe from any thread. Deliver calls the handlers outside the lock, so a handler may run on
// one thread while its subscription ends on another (pubsub.hpp says what handlers must allow for).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "storage/pubsub/pubsub.hpp"

namespace keel::pubsub {

class Subscribers : public std::enable_shared_from_this<Subscribers> {
 public:
  std::unique_ptr<Subscription> Add(std::string channel, Handler handler);
  // Calls every handler of `channel`; returns how many.
  std::size_t Deliver(const std::string& channel, const std::string& message);

 private:
  class Entry;
  void Remove(const std::string& channel, std::uint64_t id);

  std::mutex mutex_;
  std::uint64_t next_id_ = 1;                                                            // GUARDED_BY(mutex_)
  std::map<std::string, std::map<std::uint64_t, std::shared_ptr<Handler>>> by_channel_;  // GUARDED_BY(mutex_)
};

}  // namespace keel::pubsub
