// Unit tests of problem+json: shape, field errors, status mapping.
#include "http/problem.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace keel::http {
namespace {

TEST(Problem, HasTypeTitleStatusDetail) {
  Response r = Problem(404, "no route for /x");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.headers.Get("Content-Type"), "application/problem+json");
  auto body = nlohmann::json::parse(r.body);
  EXPECT_EQ(body["type"], "urn:keel:problem:not-found");
  EXPECT_EQ(body["title"], "Not Found");
  EXPECT_EQ(body["status"], 404);
  EXPECT_EQ(body["detail"], "no route for /x");
  EXPECT_FALSE(body.contains("errors"));
}

TEST(Problem, ListsOneEntryPerInvalidField) {
  Response r =
      Problem(422, "invalid features", {{"features.area", "must be positive"}, {"features.year", "missing"}});
  auto body = nlohmann::json::parse(r.body);
  ASSERT_EQ(body["errors"].size(), 2U);
  EXPECT_EQ(body["errors"][0]["field"], "features.area");
  EXPECT_EQ(body["errors"][1]["message"], "missing");
}

TEST(Problem, SurvivesInvalidUtf8InDetail) {
  Response r = Problem(400, std::string("bad \xff byte"));
  EXPECT_TRUE(nlohmann::json::accept(r.body));
}

TEST(Problem, MapsErrorCodesToStatuses) {
  EXPECT_EQ(HttpStatus(ErrorCode::kValidation), 422);
  EXPECT_EQ(HttpStatus(ErrorCode::kNotFound), 404);
  EXPECT_EQ(HttpStatus(ErrorCode::kConflict), 409);
  EXPECT_EQ(HttpStatus(ErrorCode::kOverloaded), 503);
  EXPECT_EQ(HttpStatus(ErrorCode::kInternal), 500);
}

TEST(Problem, OverloadCarriesRetryAfterAndInternalErrorsHideDetails) {
  Response overloaded = ProblemFrom(Error{ErrorCode::kOverloaded, "pool full"});
  EXPECT_EQ(overloaded.status, 503);
  EXPECT_EQ(overloaded.headers.Get("Retry-After"), "1");
  Response internal = ProblemFrom(Error{ErrorCode::kInternal, "secret stack detail"});
  EXPECT_EQ(internal.status, 500);
  EXPECT_EQ(internal.body.find("secret"), std::string::npos);
  EXPECT_EQ(internal.internal_error, "secret stack detail");  // for the log line with the request id
}

}  // namespace
}  // namespace keel::http
