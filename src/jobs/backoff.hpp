// The retry schedule: exponential back-off with full jitter, capped.
#pragma once

#include <chrono>
#include <cstdint>

namespace keel::jobs {

struct BackoffPolicy {
  std::chrono::milliseconds base{2000};  // the wait after the first failure, before jitter
  std::chrono::milliseconds cap{3600000};
};

// The wait before the attempt after `failed_attempt` (1-based): base * 2^(failed_attempt-1), capped, then
// scaled by `jitter` in [0, 1] into [50%, 100%] of that (so retries of many jobs that failed together spread
// out, yet none comes back much sooner than the schedule says).
std::chrono::milliseconds RetryDelay(const BackoffPolicy& policy, std::int64_t failed_attempt, double jitter);

}  // namespace keel::jobs
