// RetryDelay: doubling per attempt in floating point, so large attempt numbers saturate at the cap.
#include "jobs/backoff.hpp"

#include <algorithm>
#include <cmath>

namespace keel::jobs {

std::chrono::milliseconds RetryDelay(const BackoffPolicy& policy, std::int64_t failed_attempt,
                                     double jitter) {
  double exponent = static_cast<double>(std::clamp<std::int64_t>(failed_attempt, 1, 64) - 1);
  double delay = static_cast<double>(policy.base.count()) * std::pow(2.0, exponent);
  delay = std::min(delay, static_cast<double>(policy.cap.count()));
  delay *= 0.5 + 0.5 * std::clamp(jitter, 0.0, 1.0);
  return std::chrono::milliseconds(static_cast<std::int64_t>(delay));
}

}  // namespace keel::jobs
