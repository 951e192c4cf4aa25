// Unit tests of the router: static and parameter segments, 405 with Allow, HEAD fallback, 404.
#include "http/router.hpp"

#include <gtest/gtest.h>

namespace keel::http {
namespace {

Handler Noop() {
  return [](Request&) -> Task<Response> { co_return Response::Empty(204); };
}

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.Add("GET", "/health", Noop());
    router_.Add("GET", "/api/v1/tasks", Noop());
    router_.Add("POST", "/api/v1/tasks", Noop());
    router_.Add("GET", "/api/v1/tasks/{id}", Noop());
    router_.Add("DELETE", "/api/v1/tasks/{id}", Noop());
    router_.Add("GET", "/api/v1/tasks/stats", Noop());
    router_.Add("GET", "/api/v1/users/{user}/tasks/{id}", Noop());
  }
  Router router_;
};

TEST_F(RouterTest, MatchesStaticRoute) {
  auto match = router_.Match("GET", "/health");
  ASSERT_EQ(match.kind, RouteMatch::Kind::kFound);
  EXPECT_EQ(match.route->pattern, "/health");
}

TEST_F(RouterTest, ExtractsPathParameters) {
  auto match = router_.Match("GET", "/api/v1/users/u%2F1/tasks/42");
  ASSERT_EQ(match.kind, RouteMatch::Kind::kFound);
  EXPECT_EQ(match.route->pattern, "/api/v1/users/{user}/tasks/{id}");
  ASSERT_EQ(match.params.size(), 2U);
  EXPECT_EQ(match.params[0].first, "user");
  EXPECT_EQ(match.params[0].second, "u/1");
  EXPECT_EQ(match.params[1].second, "42");
}

TEST_F(RouterTest, PrefersStaticSegmentOverParameter) {
  auto match = router_.Match("GET", "/api/v1/tasks/stats");
  ASSERT_EQ(match.kind, RouteMatch::Kind::kFound);
  EXPECT_EQ(match.route->pattern, "/api/v1/tasks/stats");
  EXPECT_TRUE(match.params.empty());
}

TEST_F(RouterTest, StaticSegmentOwnsItsPathForEveryMethod) {
  // DELETE exists only on {id}; a path that names the static segment is that segment's, so 405, not
  // {id}=stats.
  auto match = router_.Match("DELETE", "/api/v1/tasks/stats");
  EXPECT_EQ(match.kind, RouteMatch::Kind::kMethodNotAllowed);
  EXPECT_EQ(match.allow, "GET, HEAD, OPTIONS");
}

TEST_F(RouterTest, BacktracksToParameterWhenStaticBranchDeadEnds) {
  router_.Add("GET", "/files/static/readme", Noop());
  router_.Add("GET", "/files/{name}/meta", Noop());
  auto match = router_.Match("GET", "/files/static/meta");
  ASSERT_EQ(match.kind, RouteMatch::Kind::kFound);
  EXPECT_EQ(match.route->pattern, "/files/{name}/meta");
  EXPECT_EQ(match.params.at(0).second, "static");
}

TEST_F(RouterTest, WrongMethodGivesAllowList) {
  auto match = router_.Match("PUT", "/api/v1/tasks/7");
  ASSERT_EQ(match.kind, RouteMatch::Kind::kMethodNotAllowed);
  EXPECT_EQ(match.allow, "GET, HEAD, DELETE, OPTIONS");
}

TEST_F(RouterTest, HeadFallsBackToGet) {
  auto match = router_.Match("HEAD", "/health");
  ASSERT_EQ(match.kind, RouteMatch::Kind::kFound);
  EXPECT_EQ(match.route->method, "GET");
}

TEST_F(RouterTest, UnknownPathsAreNotFound) {
  EXPECT_EQ(router_.Match("GET", "/nope").kind, RouteMatch::Kind::kNotFound);
  EXPECT_EQ(router_.Match("GET", "/health/").kind, RouteMatch::Kind::kNotFound);
  EXPECT_EQ(router_.Match("GET", "/api/v1/tasks/").kind, RouteMatch::Kind::kNotFound);
  EXPECT_EQ(router_.Match("GET", "/api/v1/tasks/1/2").kind, RouteMatch::Kind::kNotFound);
  EXPECT_EQ(router_.Match("GET", "").kind, RouteMatch::Kind::kNotFound);
  EXPECT_EQ(router_.Match("GET", "*").kind, RouteMatch::Kind::kNotFound);
}

TEST_F(RouterTest, RejectsDuplicatesAndBadPatterns) {
  EXPECT_THROW(router_.Add("GET", "/health", Noop()), std::logic_error);
  EXPECT_THROW(router_.Add("GET", "relative", Noop()), std::logic_error);
  EXPECT_THROW(router_.Add("GET", "/a/x{id}", Noop()), std::logic_error);
  EXPECT_THROW(router_.Add("GET", "/api/v1/tasks/{task}/x", Noop()), std::logic_error);
}

}  // namespace
}  // namespace keel::http
