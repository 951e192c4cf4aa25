// SingleFlight: the flight table and the hand-over of an outcome to the waiters.
#include "ml/single_flight.hpp"

namespace keel::ml {

void SingleFlight::Flight::OnLanded(std::function<void(Outcome)> deliver) {
  std::unique_lock lock(mutex_);
  if (!outcome_) {
    waiters_.push_back(std::move(deliver));
    return;
  }
  Outcome outcome = *outcome_;
  lock.unlock();
  deliver(std::move(outcome));
}

SingleFlight::Ticket SingleFlight::Join(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto [it, started] = flights_.try_emplace(key);
  if (started) it->second = std::make_shared<Flight>();
  return Ticket{it->second, started};
}

void SingleFlight::Land(const std::string& key, const Ticket& ticket, const Outcome& outcome) {
  {
    std::lock_guard lock(mutex_);
    auto found = flights_.find(key);
    if (found != flights_.end() && found->second == ticket.flight) flights_.erase(found);
  }
  std::vector<std::function<void(Outcome)>> waiters;
  {
    std::lock_guard lock(ticket.flight->mutex_);
    ticket.flight->outcome_ = outcome;
    waiters.swap(ticket.flight->waiters_);
  }
  for (auto& deliver : waiters) deliver(outcome);
}

Task<SingleFlight::Outcome> SingleFlight::Wait(std::shared_ptr<Flight> flight) {
  const std::function<void(std::function<void(Outcome)>)> on_landed =
      [&flight](std::function<void(Outcome)> deliver) { flight->OnLanded(std::move(deliver)); };
  co_return co_await AwaitCallback<Outcome>(on_landed);
}

std::size_t SingleFlight::InFlight() const {
  std::lock_guard lock(mutex_);
  return flights_.size();
}

}  // namespace keel::ml
