// IdentityService with a ManualClock: access and refresh tokens expire when their time is up, not before, and
// failed logins back off for doubling windows that end when the clock says so.
#include "auth/identity_service.hpp"

#include <gtest/gtest.h>

#include "auth/auth_test_harness.hpp"

namespace keel::auth {
namespace {

constexpr const char* kPassword = "correct horse battery";

IdentityOptions ShortTtlOptions() {
  IdentityOptions options;
  options.access_ttl_s = 900;
  options.refresh_ttl_s = 3600;
  options.failures_before_backoff = 2;
  return options;
}

class IdentityClockTest : public ::testing::Test {
 protected:
  IdentityClockTest()
      : auth_(::testing::UnitTest::GetInstance()->current_test_info()->name(), ShortTtlOptions()) {}

  void SetUp() override {
    auto user = auth_.Run(auth_.service->Register("ada@example.com", kPassword, "Ada", "user", true));
    ASSERT_TRUE(user.ok()) << user.error().message;
  }

  Result<TokenPair> Login(const std::string& password) {
    return auth_.Run(auth_.service->Login("ada@example.com", password));
  }
  Result<http::Principal> Authenticate(const std::string& token) {
    http::Request request = AuthHarness::Bearer(token);
    return auth_.Run(auth_.service->Authenticate(request));
  }

  AuthHarness auth_;
};

TEST_F(IdentityClockTest, AnAccessTokenWorksUntilItsLifetimeAndSkewRunOut) {
  auto pair = Login(kPassword);
  ASSERT_TRUE(pair.ok()) << pair.error().message;
  EXPECT_TRUE(Authenticate(pair->access_token).ok());
  auth_.clock.Advance(std::chrono::seconds(900 + JwtCodec::kClockSkewSeconds));
  EXPECT_TRUE(Authenticate(pair->access_token).ok()) << "still within the allowed skew";
  auth_.clock.Advance(std::chrono::seconds(2));
  auto expired = Authenticate(pair->access_token);
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.error().code, ErrorCode::kUnauthenticated);
}

TEST_F(IdentityClockTest, ARefreshTokenRotatesUntilItExpires) {
  auto pair = Login(kPassword);
  ASSERT_TRUE(pair.ok());
  auth_.clock.Advance(std::chrono::seconds(3599));
  auto rotated = auth_.Run(auth_.service->Refresh(pair->refresh_token));
  ASSERT_TRUE(rotated.ok()) << rotated.error().message;
  auth_.clock.Advance(std::chrono::seconds(3600));
  auto expired = auth_.Run(auth_.service->Refresh(rotated->refresh_token));
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.error().code, ErrorCode::kUnauthenticated);
}

TEST_F(IdentityClockTest, FailedLoginsBackOffForDoublingWindows) {
  EXPECT_EQ(Login("wrong password!").error().code, ErrorCode::kUnauthenticated);
  EXPECT_EQ(Login("wrong password!").error().code, ErrorCode::kUnauthenticated);  // second: a 1 s window
  auto refused = Login(kPassword);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kRateLimited);
  EXPECT_EQ(refused.error().message, "1");  // seconds to wait
  auth_.clock.Advance(std::chrono::milliseconds(999));
  EXPECT_EQ(Login(kPassword).error().code, ErrorCode::kRateLimited) << "a window lasts its whole second";
  auth_.clock.Advance(std::chrono::milliseconds(1));
  EXPECT_EQ(Login("wrong password!").error().code, ErrorCode::kUnauthenticated);  // third: 2 s
  auto doubled = Login(kPassword);
  ASSERT_FALSE(doubled.ok());
  EXPECT_EQ(doubled.error().message, "2");
  auth_.clock.Advance(std::chrono::seconds(2));
  EXPECT_TRUE(Login(kPassword).ok()) << "the window ended and the right password ends the back-off";
  EXPECT_EQ(Login("wrong password!").error().code, ErrorCode::kUnauthenticated);
  EXPECT_TRUE(Login(kPassword).ok()) << "the count started over";
}

}  // namespace
}  // namespace keel::auth
