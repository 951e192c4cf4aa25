// The auth section's options read from its own keys: a key read but not declared (a typo) throws here, in a
// unit test, not at the first start that reaches it.
#include "auth/auth_config.hpp"

#include <gtest/gtest.h>

namespace keel::auth {
namespace {

TEST(AuthOptions, ReadFromTheSectionsDefaults) {
  const AuthOptions options = AuthOptions::Read(Config::Defaults(ConfigKeys()));
  EXPECT_EQ(options.jwt_kid, "k1");
  EXPECT_EQ(options.access_ttl_s, 900);
  EXPECT_EQ(options.otp_ttl, std::chrono::seconds(600));
  EXPECT_TRUE(options.require_email_verification);
}

}  // namespace
}  // namespace keel::auth
