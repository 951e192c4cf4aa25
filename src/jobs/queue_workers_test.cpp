// The per-queue worker threads: growth with waiting jobs up to max, shrinking to min when idle, and shutdown.
#include "jobs/queue_workers.hpp"

#include <atomic>
#include <latch>

#include <gtest/gtest.h>

#include "core/eventually.hpp"

namespace keel::jobs {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

std::vector<std::shared_ptr<RunningJob>> Jobs(int count, int first_id = 1) {
  std::vector<std::shared_ptr<RunningJob>> jobs;
  for (int i = 0; i < count; ++i) {
    ClaimedJob job;
    job.id = first_id + i;
    jobs.push_back(std::make_shared<RunningJob>(job, steady_clock::now() + std::chrono::minutes(1)));
  }
  return jobs;
}

TEST(QueueWorkers, GrowsWithWaitingJobsUpToMaxAndShrinksToMinWhenIdle) {
  std::atomic<bool> release{false};
  std::atomic<int> ran{0};
  QueueWorkers workers("q", 1, 3, milliseconds(50), [&](std::shared_ptr<RunningJob>) {
    while (!release) std::this_thread::sleep_for(milliseconds(1));
    ++ran;
  });
  EXPECT_EQ(workers.FreeSlots(), 3);
  EXPECT_TRUE(workers.Push(Jobs(5)).empty());
  EXPECT_TRUE(Eventually([&] { return workers.counts().busy == 3; }));
  EXPECT_EQ(workers.counts().total, 3);  // never more than max
  EXPECT_EQ(workers.FreeSlots(), -2);    // two more wait than could run
  release = true;
  EXPECT_TRUE(Eventually([&] { return ran == 5; }));
  EXPECT_TRUE(Eventually([&] { return workers.counts().total == 1; }));  // idle threads above min exit
  EXPECT_EQ(workers.FreeSlots(), 3);
  (void)workers.StopTaking();
  EXPECT_TRUE(workers.Join(steady_clock::now() + std::chrono::seconds(5)));
}

TEST(QueueWorkers, StopTakingHandsBackUnstartedJobsAndRefusesNewOnes) {
  std::latch started(1);
  std::atomic<bool> release{false};
  QueueWorkers workers("q", 0, 1, milliseconds(1000), [&](std::shared_ptr<RunningJob>) {
    started.count_down();
    while (!release) std::this_thread::sleep_for(milliseconds(1));
  });
  (void)workers.Push(Jobs(3));
  started.wait();
  auto unstarted = workers.StopTaking();
  EXPECT_EQ(unstarted.size(), 2U);
  EXPECT_EQ(workers.Push(Jobs(1, 10)).size(), 1U);
  EXPECT_EQ(workers.FreeSlots(), 0);
  EXPECT_FALSE(workers.WaitIdle(steady_clock::now() + milliseconds(20)));
  release = true;
  EXPECT_TRUE(workers.WaitIdle(steady_clock::now() + std::chrono::seconds(5)));
  EXPECT_TRUE(workers.Join(steady_clock::now() + std::chrono::seconds(5)));
  EXPECT_EQ(workers.counts().total, 0);
}

}  // namespace
}  // namespace keel::jobs
