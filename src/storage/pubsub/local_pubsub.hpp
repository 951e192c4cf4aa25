// Publish/subscribe inside one process (kv.url memory://): Publish calls the channel's handlers at once, on
// the publisher's thread.
//
// Thread safety: as PubSub.
#pragma once

#include <memory>

#include "storage/pubsub/pubsub.hpp"
#include "storage/pubsub/subscribers.hpp"

namespace keel::pubsub {

class LocalPubSub final : public PubSub {
 public:
  LocalPubSub() : subscribers_(std::make_shared<Subscribers>()) {}
  void Publish(std::string channel, std::string message) override { subscribers_->Deliver(channel, message); }
  std::unique_ptr<Subscription> Subscribe(std::string channel, Handler handler) override {
    return subscribers_->Add(std::move(channel), std::move(handler));
  }

 private:
  std::shared_ptr<Subscribers> subscribers_;
};

}  // namespace keel::pubsub
