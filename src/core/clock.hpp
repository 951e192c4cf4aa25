// Time as a seam: components take a Clock so tests can move time by hand.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace keel {

// The system's wall-clock time as Unix milliseconds. Platform internals that never need a test to move time
// (log stamps, process metrics, benchmarks) read it directly; everything a module decides by time (leases,
// expiries, back-off, timestamps it stores) asks its Clock instead.
inline std::int64_t UnixMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Both kinds of time a component needs. Implementations are thread-safe.
class Clock {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  virtual ~Clock() = default;
  // Monotonic time, for deadlines and TTLs within this process.
  virtual TimePoint Now() const = 0;
  // Wall-clock time as Unix milliseconds, for timestamps stored and compared across processes (leases,
  // run_at, expiries). Not for measuring durations: use Now.
  virtual std::int64_t WallMillis() const = 0;
  std::int64_t WallSeconds() const { return WallMillis() / 1000; }
};

// The real clocks: std::chrono::steady_clock and system_clock.
class SystemClock final : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::steady_clock::now(); }
  std::int64_t WallMillis() const override { return UnixMillis(); }
};

// A clock that only moves when told to; both kinds of time move together. For tests.
class ManualClock final : public Clock {
 public:
  // Starts at an arbitrary fixed wall time (2027-01-15T08:00:00Z), so tests are repeatable.
  static constexpr std::int64_t kStartWallMillis = 1'800'000'000'000;

  TimePoint Now() const override { return TimePoint(std::chrono::nanoseconds(now_ns_.load())); }
  std::int64_t WallMillis() const override {
    return kStartWallMillis + (now_ns_.load() - kStartNs) / 1'000'000;
  }
  void Advance(std::chrono::nanoseconds by) { now_ns_ += by.count(); }

 private:
  static constexpr long long kStartNs = 1'000'000'000;
  std::atomic<long long> now_ns_{kStartNs};
};

}  // namespace keel
