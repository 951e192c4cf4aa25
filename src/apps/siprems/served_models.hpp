// Which version serves each product, as this process knows it: read from the registry (ModelStore) on first
// use and again once siprems.model_refresh_ms has passed, and dropped at once when a trainer anywhere
// announces a new version over pub/sub. So every instance picks a new version up without a restart, within
// the refresh period even when an announcement is lost.
//
// Thread safety: all methods are safe from any thread.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "apps/siprems/model_store.hpp"
#include "core/async.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"

namespace keel::pubsub {
class PubSub;
class Subscription;
}  // namespace keel::pubsub

namespace keel::siprems {

// The pub/sub channel new versions are announced on; the message is the SKU.
inline constexpr std::string_view kModelsChannel = "siprems.models";

class ServedModels {
 public:
  ServedModels(ModelStore& store, const Clock& clock, std::chrono::milliseconds refresh);
  ~ServedModels();

  // Listens for announcements (before serving).
  void Subscribe(pubsub::PubSub& pubsub);
  void Unsubscribe();

  // The version `sku` serves; null when it has none.
  Task<Result<std::shared_ptr<const ServedModel>>> Get(std::string sku);
  void Forget(const std::string& sku);

 private:
  struct Entry {
    std::shared_ptr<const ServedModel> model;
    Clock::TimePoint checked;
  };
  // Shared with the subscription's handler, which may outlive this object by one call.
  struct State {
    std::mutex mutex;
    std::unordered_map<std::string, Entry> entries;  // GUARDED_BY(mutex)
  };

  ModelStore& store_;
  const Clock& clock_;
  const std::chrono::milliseconds refresh_;
  std::shared_ptr<State> state_ = std::make_shared<State>();
  std::unique_ptr<pubsub::Subscription> subscription_, resubscribed_;
};

}  // namespace keel::siprems
