// The mail section's options read from its own keys: a key read but not declared (a typo) throws here, in a
// unit test, not at the first start that reaches it.
#include "auth/mail/mail_config.hpp"

#include <gtest/gtest.h>

namespace keel::mail {
namespace {

TEST(MailOptions, ReadFromTheSectionsDefaults) {
  const MailOptions options = MailOptions::Read(Config::Defaults(ConfigKeys()));
  EXPECT_TRUE(options.smtp_url.empty());
  EXPECT_EQ(options.from, "keel@localhost");
  EXPECT_EQ(options.timeout, std::chrono::milliseconds(10000));
}

}  // namespace
}  // namespace keel::mail
