// RaiseDescriptorLimit leaves the soft limit at the hard one, and says what it found.
#include "core/descriptor_limit.hpp"

#include <sys/resource.h>

#include <gtest/gtest.h>

namespace keel {
namespace {

TEST(DescriptorLimit, TheSoftLimitIsRaisedToTheHardOne) {
  rlimit original{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &original), 0);
  if (original.rlim_max != RLIM_INFINITY && original.rlim_max > 64) {
    rlimit lowered = original;
    lowered.rlim_cur = 64;  // as a shell's ulimit -n would hand down
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &lowered), 0);
  }
  auto raised = RaiseDescriptorLimit();
  ASSERT_TRUE(raised.ok()) << raised.error().message;
  rlimit now{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &now), 0);
  EXPECT_EQ(now.rlim_cur, static_cast<rlim_t>(raised->after));
  EXPECT_EQ(raised->after, raised->hard);
  if (original.rlim_max != RLIM_INFINITY && original.rlim_max > 64) {
    EXPECT_EQ(raised->before, 64u);
  }
  EXPECT_GE(raised->after, raised->before);
}

}  // namespace
}  // namespace keel
