// Subscribers: the registry and its RAII entries.
#include "storage/pubsub/subscribers.hpp"

#include <vector>

namespace keel::pubsub {

class Subscribers::Entry final : public Subscription {
 public:
  Entry(std::weak_ptr<Subscribers> owner, std::string channel, std::uint64_t id)
      : owner_(std::move(owner)), channel_(std::move(channel)), id_(id) {}
  ~Entry() override {
    if (auto owner = owner_.lock()) owner->Remove(channel_, id_);
  }

 private:
  std::weak_ptr<Subscribers> owner_;
  std::string channel_;
  std::uint64_t id_;
};

std::unique_ptr<Subscription> Subscribers::Add(std::string channel, Handler handler) {
  std::lock_guard lock(mutex_);
  const std::uint64_t id = next_id_++;
  by_channel_[channel][id] = std::make_shared<Handler>(std::move(handler));
  return std::make_unique<Entry>(weak_from_this(), std::move(channel), id);
}

void Subscribers::Remove(const std::string& channel, std::uint64_t id) {
  std::lock_guard lock(mutex_);
  auto found = by_channel_.find(channel);
  if (found == by_channel_.end()) return;
  found->second.erase(id);
  if (found->second.empty()) by_channel_.erase(found);
}

std::size_t Subscribers::Deliver(const std::string& channel, const std::string& message) {
  std::vector<std::shared_ptr<Handler>> handlers;
  {
    std::lock_guard lock(mutex_);
    auto found = by_channel_.find(channel);
    if (found == by_channel_.end()) return 0;
    for (const auto& [id, handler] : found->second) handlers.push_back(handler);
  }
  for (const auto& handler : handlers) (*handler)(channel, message);
  return handlers.size();
}

}  // namespace keel::pubsub
