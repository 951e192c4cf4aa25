#include "apps/validation/validation_config.hpp"

#include <gtest/gtest.h>

namespace keel::validation {
namespace {

TEST(ValidationConfig, DefaultsAndOverrides) {
  Config config = Config::Defaults(ConfigKeys());
  auto defaults = ValidationOptions::Read(config);
  EXPECT_EQ(defaults.ingest_key_grace, std::chrono::hours(24));
  EXPECT_EQ(defaults.retention_days, 30);
  EXPECT_EQ(defaults.ingest_per_minute, 600'000);
  EXPECT_EQ(defaults.ingest_burst, 20'000);
  ASSERT_TRUE(config.Set("apps.ingest_key_grace_s", "60").ok());
  ASSERT_TRUE(config.Set("apps.retention_days", "7").ok());
  EXPECT_EQ(ValidationOptions::Read(config).ingest_key_grace, std::chrono::seconds(60));
  EXPECT_EQ(ValidationOptions::Read(config).retention_days, 7);
  EXPECT_FALSE(config.Set("apps.retention_days", "0").ok());
}

}  // namespace
}  // namespace keel::validation
