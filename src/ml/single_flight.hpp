// Single-flight for prediction cache misses: of the concurrent requests that miss on one key, the first
// computes (the leader) and the rest wait for its outcome instead of computing it again.
//
// Thread safety: all methods are safe from any thread. A leader must Land its flight exactly once, whatever
// happens (an error outcome reaches the followers as their error).
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/async.hpp"
#include "core/result.hpp"

namespace keel::ml {

class SingleFlight {
 public:
  using Outcome = Result<double>;

  class Flight {
   public:
    // Calls `deliver` with the outcome once it lands (at once, on this thread, when it already has).
    void OnLanded(std::function<void(Outcome)> deliver);

   private:
    friend class SingleFlight;
    std::mutex mutex_;
    std::optional<Outcome> outcome_;                     // GUARDED_BY(mutex_)
    std::vector<std::function<void(Outcome)>> waiters_;  // GUARDED_BY(mutex_)
  };

  struct Ticket {
    std::shared_ptr<Flight> flight;
    bool leader = false;
  };

  // Joins the flight for `key`, starting it (and leading it) when there is none.
  Ticket Join(const std::string& key);
  // Ends the leader's flight for `key` and hands `outcome` to every follower.
  void Land(const std::string& key, const Ticket& ticket, const Outcome& outcome);
  // A follower's wait for the outcome; resumes on the caller's executor.
  static Task<Outcome> Wait(std::shared_ptr<Flight> flight);

  std::size_t InFlight() const;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<Flight>> flights_;  // GUARDED_BY(mutex_)
};

}  // namespace keel::ml
