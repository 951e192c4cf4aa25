// For tests: waiting for something another thread or process does, without a fixed sleep.
#pragma once

#include <chrono>
#include <thread>

namespace keel {

// Polls `condition` every `every` until it holds or `within` has passed; true when it held. The last poll is
// at or after the deadline, so a condition met just in time still counts.
template <class Condition>
bool Eventually(Condition condition, std::chrono::milliseconds within = std::chrono::seconds(10),
                std::chrono::milliseconds every = std::chrono::milliseconds(1)) {
  auto deadline = std::chrono::steady_clock::now() + within;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(every);
  }
  return condition();
}

}  // namespace keel
