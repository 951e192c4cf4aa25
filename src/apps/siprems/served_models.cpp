#include "apps/siprems/served_models.hpp"

#include "storage/pubsub/pubsub.hpp"

namespace keel::siprems {
namespace {

// Entries kept before the note is started afresh: a bound on memory for very large catalogues.
constexpr std::size_t kMaxEntries = 100000;

}  // namespace

ServedModels::ServedModels(ModelStore& store, const Clock& clock, std::chrono::milliseconds refresh)
    : store_(store), clock_(clock), refresh_(refresh) {}

ServedModels::~ServedModels() { Unsubscribe(); }

void ServedModels::Subscribe(pubsub::PubSub& pubsub) {
  std::weak_ptr<State> weak = state_;
  subscription_ =
      pubsub.Subscribe(std::string(kModelsChannel), [weak](const std::string&, const std::string& sku) {
        if (auto state = weak.lock()) {
          std::lock_guard lock(state->mutex);
          state->entries.erase(sku);
        }
      });
  // Announcements may have been missed while the subscription was down: start afresh.
  resubscribed_ = pubsub.Subscribe(std::string(pubsub::kResubscribedChannel),
                                   [weak](const std::string&, const std::string&) {
                                     if (auto state = weak.lock()) {
                                       std::lock_guard lock(state->mutex);
                                       state->entries.clear();
                                     }
                                   });
}

void ServedModels::Unsubscribe() {
  subscription_.reset();
  resubscribed_.reset();
}

void ServedModels::Forget(const std::string& sku) {
  std::lock_guard lock(state_->mutex);
  state_->entries.erase(sku);
}

Task<Result<std::shared_ptr<const ServedModel>>> ServedModels::Get(std::string sku) {
  const auto now = clock_.Now();
  {
    std::lock_guard lock(state_->mutex);
    auto found = state_->entries.find(sku);
    if (found != state_->entries.end() && now - found->second.checked < refresh_)
      co_return found->second.model;
  }
  auto served = co_await store_.Served(sku);
  if (!served) co_return std::move(served).error();
  std::shared_ptr<const ServedModel> model;
  if (*served) model = std::make_shared<const ServedModel>(std::move(**served));
  std::lock_guard lock(state_->mutex);
  if (state_->entries.size() >= kMaxEntries) state_->entries.clear();
  Entry& entry = state_->entries[sku];  // no braced Entry{...}: g++ 12 mishandles those inside coroutines
  entry.model = std::move(model);
  entry.checked = now;
  co_return entry.model;
}

}  // namespace keel::siprems
