// The jobs section's options read from its own keys: a key read but not declared (a typo) throws here, in a
// unit test, not at the first start that reaches it.
#include "jobs/jobs_config.hpp"

#include <gtest/gtest.h>

namespace keel::jobs {
namespace {

TEST(JobsOptions, ReadFromTheSectionsDefaults) {
  const JobsOptions options = JobsOptions::Read(Config::Defaults(ConfigKeys()));
  EXPECT_TRUE(options.workers);
  EXPECT_EQ(options.lease, std::chrono::milliseconds(30000));
  EXPECT_EQ(options.retention, std::chrono::hours(168));
  EXPECT_EQ(options.queues.front(), "default:1-4");
}

}  // namespace
}  // namespace keel::jobs
