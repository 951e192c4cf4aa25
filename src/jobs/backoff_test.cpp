// Unit tests for the retry schedule.
#include "jobs/backoff.hpp"

#include <gtest/gtest.h>

namespace keel::jobs {
namespace {

using std::chrono::milliseconds;

TEST(RetryDelay, DoublesFromTheBaseWithoutJitter) {
  BackoffPolicy policy{milliseconds(2000), milliseconds(3600000)};
  EXPECT_EQ(RetryDelay(policy, 1, 1.0), milliseconds(2000));
  EXPECT_EQ(RetryDelay(policy, 2, 1.0), milliseconds(4000));
  EXPECT_EQ(RetryDelay(policy, 3, 1.0), milliseconds(8000));
  EXPECT_EQ(RetryDelay(policy, 5, 1.0), milliseconds(32000));
}

TEST(RetryDelay, StopsAtTheCap) {
  BackoffPolicy policy{milliseconds(2000), milliseconds(3600000)};
  EXPECT_EQ(RetryDelay(policy, 12, 1.0), milliseconds(3600000));
  EXPECT_EQ(RetryDelay(policy, 1000, 1.0), milliseconds(3600000));
}

TEST(RetryDelay, JitterKeepsAtLeastHalfTheDelay) {
  BackoffPolicy policy{milliseconds(1000), milliseconds(60000)};
  EXPECT_EQ(RetryDelay(policy, 3, 0.0), milliseconds(2000));
  EXPECT_EQ(RetryDelay(policy, 3, 0.5), milliseconds(3000));
  for (double jitter = 0; jitter <= 1.0; jitter += 0.125) {
    auto delay = RetryDelay(policy, 4, jitter);
    EXPECT_GE(delay, milliseconds(4000));
    EXPECT_LE(delay, milliseconds(8000));
  }
}

TEST(RetryDelay, OutOfRangeInputsAreClamped) {
  BackoffPolicy policy{milliseconds(100), milliseconds(1000)};
  EXPECT_EQ(RetryDelay(policy, 0, 1.0), milliseconds(100));
  EXPECT_EQ(RetryDelay(policy, -3, 2.0), milliseconds(100));
}

}  // namespace
}  // namespace keel::jobs
