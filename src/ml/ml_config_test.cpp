// The ml section's options read from its own keys: a key read but not declared (a typo) throws here, in a
// unit test, not at the first start that reaches it.
#include "ml/ml_config.hpp"

#include <gtest/gtest.h>

namespace keel::ml {
namespace {

TEST(MlOptions, ReadFromTheSectionsDefaults) {
  const MlOptions options = MlOptions::Read(Config::Defaults(ConfigKeys()));
  EXPECT_EQ(options.models, std::vector<std::string>{"property"});
  EXPECT_TRUE(options.serve_registry);
  EXPECT_EQ(options.max_loaded_models, 1000U);
  EXPECT_EQ(options.log_retention, std::chrono::hours(720));
}

}  // namespace
}  // namespace keel::ml
