// Time as a seam: components take a Clock so tests can move time by hand.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace keel {

// Wall-clock time as Unix milliseconds, for timestamps stored and compared across processes (leases, run_at,
// expiries). Not for measuring durations: use a Clock.
inline std::int64_t UnixMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Monotonic time for deadlines and TTLs. Implementations are thread-safe.
class Clock {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
};

class SteadyClock final : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::steady_clock::now(); }
};

// A clock that only moves when told to; for tests.
class ManualClock final : public Clock {
 public:
  TimePoint Now() const override { return TimePoint(std::chrono::nanoseconds(now_ns_.load())); }
  void Advance(std::chrono::nanoseconds by) { now_ns_ += by.count(); }

 private:
  std::atomic<long long> now_ns_{1'000'000'000};
};

}  // namespace keel
