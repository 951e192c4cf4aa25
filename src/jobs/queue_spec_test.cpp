// Unit tests for jobs.queues entries.
#include "jobs/queue_spec.hpp"

#include <gtest/gtest.h>

namespace keel::jobs {
namespace {

TEST(ParseQueueSpecs, ReadsMinMaxOnlyMaxAndBareNames) {
  auto queues = ParseQueueSpecs({"default:1-4", "model_generation:8", "maintenance:0-2", "mail"});
  ASSERT_TRUE(queues.ok()) << queues.error().message;
  ASSERT_EQ(queues->size(), 4U);
  EXPECT_EQ((*queues)[0].name, "default");
  EXPECT_EQ((*queues)[0].min_workers, 1);
  EXPECT_EQ((*queues)[0].max_workers, 4);
  EXPECT_EQ((*queues)[1].min_workers, 1);
  EXPECT_EQ((*queues)[1].max_workers, 8);
  EXPECT_EQ((*queues)[2].min_workers, 0);
  EXPECT_EQ((*queues)[3].max_workers, 4);
}

TEST(ParseQueueSpecs, RejectsBadEntriesNamingThem) {
  for (const char* bad : {"", ":4", "a:", "a:x", "a:5-2", "a:0", "a:0-0", "a:1-999", "a b:2", "a:-3"}) {
    auto queues = ParseQueueSpecs({bad});
    ASSERT_FALSE(queues.ok()) << bad;
    EXPECT_EQ(queues.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(queues.error().message.find(std::string("\"") + bad + "\""), std::string::npos) << bad;
  }
}

TEST(ParseQueueSpecs, RejectsARepeatedQueue) { EXPECT_FALSE(ParseQueueSpecs({"a:2", "a:3"}).ok()); }

}  // namespace
}  // namespace keel::jobs
