// One-time codes with a ManualClock: a verification code works until its lifetime ends, dies after its
// allowed wrong attempts, and a new one can be mailed only once the resend interval passed.
#include "auth/account_codes.hpp"

#include <gtest/gtest.h>

#include "auth/auth_test_harness.hpp"

namespace keel::auth {
namespace {

constexpr const char* kEmail = "ada@example.com";

IdentityOptions VerifyingOptions() {
  IdentityOptions options;
  options.require_email_verification = true;
  return options;
}

OtpOptions Codes() {
  OtpOptions options;
  options.ttl = std::chrono::minutes(10);
  options.max_attempts = 3;
  options.resend_interval = std::chrono::seconds(60);
  return options;
}

class AccountCodesClockTest : public ::testing::Test {
 protected:
  AccountCodesClockTest()
      : auth_(::testing::UnitTest::GetInstance()->current_test_info()->name(), VerifyingOptions(), Codes()) {}

  void SetUp() override {
    auto user = auth_.Run(auth_.service->Register(kEmail, "correct horse battery", "Ada"));
    ASSERT_TRUE(user.ok()) << user.error().message;
    code_ = auth_.LastCodeMailedTo(kEmail);
    ASSERT_EQ(code_.size(), 6U) << "no code was mailed";
  }

  Result<User> Verify(const std::string& code) { return auth_.Run(auth_.codes->Verify(kEmail, code)); }
  // A six-digit code that is not the mailed one.
  std::string WrongCode() const { return code_ == "000000" ? "000001" : "000000"; }

  AuthHarness auth_;
  std::string code_;
};

TEST_F(AccountCodesClockTest, ACodeWorksUntilItExpires) {
  auth_.clock.Advance(std::chrono::minutes(10) + std::chrono::milliseconds(1));
  auto late = Verify(code_);
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().code, ErrorCode::kValidation);
}

TEST_F(AccountCodesClockTest, ACodeJustBeforeItsExpiryVerifiesTheAccount) {
  auth_.clock.Advance(std::chrono::minutes(10) - std::chrono::milliseconds(1));
  auto verified = Verify(code_);
  ASSERT_TRUE(verified.ok()) << verified.error().message;
  EXPECT_TRUE(verified->email_verified);
  EXPECT_FALSE(Verify(code_).ok()) << "a code is single use";
}

TEST_F(AccountCodesClockTest, ACodeDiesAfterItsAllowedWrongAttempts) {
  for (int attempt = 0; attempt < 3; ++attempt) EXPECT_FALSE(Verify(WrongCode()).ok());
  auto right_too_late = Verify(code_);
  ASSERT_FALSE(right_too_late.ok());
  EXPECT_EQ(right_too_late.error().code, ErrorCode::kValidation);
}

TEST_F(AccountCodesClockTest, ANewCodeIsMailedOnlyAfterTheResendInterval) {
  auth_.clock.Advance(std::chrono::seconds(59));
  ASSERT_TRUE(auth_.Run(auth_.codes->ResendVerification(kEmail)).ok());
  EXPECT_EQ(auth_.LastCodeMailedTo(kEmail), code_) << "too soon: no new mail";
  EXPECT_TRUE(Verify(WrongCode()).error().code == ErrorCode::kValidation);
  auth_.clock.Advance(std::chrono::seconds(1));
  ASSERT_TRUE(auth_.Run(auth_.codes->ResendVerification(kEmail)).ok());
  std::string fresh = auth_.LastCodeMailedTo(kEmail);
  ASSERT_EQ(fresh.size(), 6U);
  if (fresh != code_) {
    EXPECT_FALSE(Verify(code_).ok()) << "the new code replaces the old one";
  }
  EXPECT_TRUE(Verify(fresh).ok());
}

}  // namespace
}  // namespace keel::auth
