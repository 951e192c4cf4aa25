// Publish/subscribe between the instances of one deployment: a message published on a channel reaches every
// subscriber of that channel in every process. Delivery is at most once and best effort: a message published
// while Redis is unreachable, or while a subscriber's connection is re-established, is gone. Use it for what
// is shown live (arriving events, progress), never for what must not be lost (that goes to the database).
//
// Backends: in-process (one process: kv.url memory://) and Redis (kv.url redis://, channels under
// kv.key_prefix, so deployments sharing a Redis do not hear each other).
//
// Thread safety: Publish and Subscribe from any thread. Handlers run on the pub/sub's own thread (Redis) or
// the publisher's (in-process); they must be quick and must not block. A handler may run once more on
// another thread while its Subscription is being destroyed, so it must hold what it touches weakly.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace keel {
class Config;
class Metrics;
}  // namespace keel

namespace keel::pubsub {

using Handler = std::function<void(const std::string& channel, const std::string& message)>;

// Subscribers of this channel hear (with an empty message) each time this process's subscription to every
// other channel was (re)established: messages published before it may have been missed, so caches kept fresh
// by messages should start again. Nothing else is ever published on it.
inline constexpr std::string_view kResubscribedChannel = "pubsub.resubscribed";

// Ends its subscription when destroyed.
class Subscription {
 public:
  virtual ~Subscription() = default;
};

class PubSub {
 public:
  virtual ~PubSub() = default;
  virtual void Publish(std::string channel, std::string message) = 0;
  virtual std::unique_ptr<Subscription> Subscribe(std::string channel, Handler handler) = 0;
};

// The backend named by kv.url.
Result<std::unique_ptr<PubSub>> OpenPubSub(const Config& config, Metrics& metrics);

}  // namespace keel::pubsub
