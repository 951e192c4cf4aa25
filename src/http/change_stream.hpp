// The body of an event stream that follows one thing as it changes (a job, a batch): it sends an event
// whenever the thing's rendering differs from the last one sent, wakes when the thing's publish/subscribe
// channel says it changed (on any instance), reads it again every 2 s in case a message was missed, sends a
// keep-alive comment after 15 s of quiet, and ends after a final rendering.
//
// Used on one IO thread (the request's); Follow's subscription ends with the stream.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/async.hpp"
#include "core/result.hpp"
#include "core/wakeup.hpp"

namespace keel::pubsub {
class PubSub;
class Subscription;
}  // namespace keel::pubsub

namespace keel::http {

class ChangeStream {
 public:
  struct Snapshot {
    std::string signature;  // what must differ for a new event (the data itself, or the fields that matter)
    std::string event;      // the SSE event name
    std::string data;       // one line of JSON
    bool final = false;     // the last event: the stream ends after it
  };
  // Reads the thing again. The first call renders what the route already read.
  using Render = std::function<Task<Result<Snapshot>>()>;

  ChangeStream(Render render, std::shared_ptr<Wakeup> wakeup);
  ~ChangeStream();

  // Wakes the stream whenever a message arrives on `channel`.
  void Follow(pubsub::PubSub& pubsub, std::string channel);
  // The next chunk of the body, nullopt at the end (Response::EventStream's producer).
  Task<std::optional<std::string>> Next();

 private:
  Render render_;
  std::shared_ptr<Wakeup> wakeup_;
  std::unique_ptr<pubsub::Subscription> subscription_;
  std::string last_signature_;
  bool rendered_ = false;
  bool done_ = false;
};

}  // namespace keel::http
