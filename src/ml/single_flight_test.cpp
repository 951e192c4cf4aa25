// SingleFlight: one leader per key at a time, outcomes (values and errors) reach every follower.
#include "ml/single_flight.hpp"

#include <gtest/gtest.h>

namespace keel::ml {
namespace {

TEST(SingleFlight, TheFirstCallerLeadsAndTheOthersFollowUntilItLands) {
  SingleFlight flights;
  auto leader = flights.Join("k");
  auto follower = flights.Join("k");
  auto other_key = flights.Join("other");
  EXPECT_TRUE(leader.leader);
  EXPECT_FALSE(follower.leader);
  EXPECT_TRUE(other_key.leader);
  EXPECT_EQ(follower.flight, leader.flight);

  std::optional<double> seen;
  follower.flight->OnLanded([&](SingleFlight::Outcome outcome) { seen = *outcome; });
  EXPECT_FALSE(seen);
  flights.Land("k", leader, 42.0);
  EXPECT_EQ(seen, 42.0);
  // A late follower of the same flight still gets the outcome, at once.
  std::optional<double> late;
  leader.flight->OnLanded([&](SingleFlight::Outcome outcome) { late = *outcome; });
  EXPECT_EQ(late, 42.0);
  // The next miss on that key starts a new flight.
  EXPECT_TRUE(flights.Join("k").leader);
}

TEST(SingleFlight, AnErrorReachesEveryFollower) {
  SingleFlight flights;
  auto leader = flights.Join("k");
  int errors = 0;
  for (int i = 0; i < 3; ++i)
    flights.Join("k").flight->OnLanded(
        [&](SingleFlight::Outcome outcome) { errors += outcome.ok() ? 0 : 1; });
  flights.Land("k", leader, Error{ErrorCode::kUnavailable, "down"});
  EXPECT_EQ(errors, 3);
  EXPECT_EQ(flights.InFlight(), 0U);
}

}  // namespace
}  // namespace keel::ml
