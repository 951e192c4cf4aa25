// JobRuntime with a ManualClock: leases, time-outs and retry back-off are decided by the clock the runtime is
// given, so these tests move time instead of waiting for it; only the loop's own short timers (polls of 5 ms,
// heartbeats, the reaper) and the drain deadline run on real time.
#include "jobs/job_runtime.hpp"

#include <atomic>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>

#include "core/eventually.hpp"
#include "core/run_to_completion.hpp"
#include "jobs/job_context.hpp"
#include "jobs/job_queue.hpp"
#include "jobs/jobs_module.hpp"
#include "storage/sql/sqlite/sqlite_database.hpp"

namespace keel::jobs {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr milliseconds kLease{30000};
constexpr milliseconds kNever{3600000};  // a heartbeat period no test lives to see

class JobRuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = std::filesystem::temp_directory_path() /
            ("keel-runtime-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) +
             ".db");
    RemoveFiles();
    auto db = sql::SqliteDatabase::Open({.path = path_.string(), .pool_size = 2}, metrics_);
    ASSERT_TRUE(db.ok()) << db.error().message;
    db_ = std::move(db).value();
    ASSERT_TRUE(db_->Migrate(Migrations("sqlite")).ok());
    store_ = std::make_unique<JobStore>(*db_);
    job_metrics_ = std::make_unique<JobMetrics>(metrics_);
    queue_ = std::make_unique<JobQueue>(*store_, kinds_, *job_metrics_, clock_);
  }

  void TearDown() override {
    release_ = true;
    for (auto& runtime : runtimes_) runtime->Stop(milliseconds(1000));
    queue_->SetRuntime(nullptr);
    runtimes_.clear();
    queue_.reset();
    store_.reset();
    db_.reset();
    RemoveFiles();
  }

  void RemoveFiles() {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_.string() + suffix);
  }

  JobRuntime& StartRuntime(std::string worker, milliseconds heartbeat) {
    RuntimeOptions options;
    options.worker_id = std::move(worker);
    options.queues = {QueueOptions{"default", 1, 2}};
    options.poll_interval = milliseconds(5);
    options.lease = kLease;
    options.heartbeat = heartbeat;
    options.rescue_interval = milliseconds(5);
    options.scheduler = false;
    runtimes_.push_back(
        std::make_unique<JobRuntime>(*store_, kinds_, *job_metrics_, clock_, std::move(options)));
    runtimes_.back()->Start();
    if (runtimes_.size() == 1) queue_->SetRuntime(runtimes_.back().get());
    return *runtimes_.back();
  }

  std::int64_t Enqueue(const std::string& kind) {
    JobRequest request;
    request.kind = kind;
    auto enqueued = Await(queue_->Enqueue(std::move(request)));
    EXPECT_TRUE(enqueued.ok()) << enqueued.error().message;
    return enqueued->id;
  }

  JobRecord Find(std::int64_t id) { return **Await(store_->Find(id)); }

  bool InState(std::int64_t id, const std::string& state) { return Find(id).state == state; }

  // A handler that blocks until the test releases it or its runtime cancels it; records which happened.
  JobHandler Blocking() {
    return [this](JobContext& context) -> Result<nlohmann::json> {
      ++started_;
      while (!release_ && !context.Cancelled()) std::this_thread::sleep_for(milliseconds(1));
      if (context.Cancelled()) {
        saw_cancel_ = true;
        return Error{ErrorCode::kUnavailable, "cancelled"};
      }
      return nlohmann::json{{"attempt", context.attempt()}};
    };
  }

  // Runs one awaitable to its end on io_, which outlives the database threads that answer into it.
  template <class T>
  T Await(Task<T> task) {
    return RunToCompletion(io_, std::move(task));
  }

  boost::asio::io_context io_;  // declared first: destroyed after the database
  std::filesystem::path path_;
  ManualClock clock_;
  Metrics metrics_;
  std::unique_ptr<sql::Database> db_;
  std::unique_ptr<JobStore> store_;
  JobKinds kinds_;
  std::unique_ptr<JobMetrics> job_metrics_;
  std::unique_ptr<JobQueue> queue_;
  std::vector<std::unique_ptr<JobRuntime>> runtimes_;
  std::atomic<bool> release_{false};
  std::atomic<bool> saw_cancel_{false};
  std::atomic<int> started_{0};
};

TEST_F(JobRuntimeTest, AnExpiredLeaseGoesToAnotherWorkerAndTheLateCompletionIsRefused) {
  // The first attempt blocks (its worker has stopped heartbeating, as a frozen process would); the second
  // finishes at once.
  kinds_.Add(
      JobKind::Make("test.stall_once", "default", [this](JobContext& context) -> Result<nlohmann::json> {
        if (context.attempt() == 1) {
          ++started_;
          while (!release_) std::this_thread::sleep_for(milliseconds(1));
        }
        return nlohmann::json{{"attempt", context.attempt()}};
      }));
  StartRuntime("stalled", kNever);
  auto id = Enqueue("test.stall_once");
  ASSERT_TRUE(Eventually([&] { return started_ == 1; }));

  StartRuntime("rescuer", kNever);
  clock_.Advance(kLease - milliseconds(1));
  std::this_thread::sleep_for(milliseconds(50));
  EXPECT_EQ(Find(id).state, "running") << "the lease has 1 ms left: nobody may take the job";
  clock_.Advance(milliseconds(2));
  ASSERT_TRUE(Eventually([&] { return InState(id, "completed"); }));
  EXPECT_EQ(Find(id).attempt, 2);
  EXPECT_EQ(*Find(id).result, R"({"attempt":2})");

  release_ = true;  // the stalled worker wakes up and finishes its first attempt
  std::this_thread::sleep_for(milliseconds(100));
  EXPECT_EQ(*Find(id).result, R"({"attempt":2})") << "the first worker's late completion was fenced off";
}

TEST_F(JobRuntimeTest, AHeartbeatThatFindsTheLeaseGoneCancelsTheHandler) {
  kinds_.Add(JobKind::Make("test.block", "default", Blocking()));
  StartRuntime("worker", milliseconds(10));
  auto id = Enqueue("test.block");
  ASSERT_TRUE(Eventually([&] { return started_ == 1; }));
  ASSERT_TRUE(Await(store_->Cancel(id, clock_.WallMillis())).ok());  // as an admin would
  ASSERT_TRUE(Eventually([&] { return saw_cancel_.load(); }));
  std::this_thread::sleep_for(milliseconds(50));
  EXPECT_EQ(Find(id).state, "cancelled") << "the handler's late failure does not overwrite the cancellation";
}

TEST_F(JobRuntimeTest, AJobPastItsTimeoutIsCancelledAndFailsForARetry) {
  auto kind = JobKind::Make("test.block", "default", Blocking());
  kind.timeout = seconds(5);
  kinds_.Add(std::move(kind));
  StartRuntime("worker", milliseconds(10));
  auto id = Enqueue("test.block");
  ASSERT_TRUE(Eventually([&] { return started_ == 1; }));
  std::this_thread::sleep_for(milliseconds(50));
  EXPECT_FALSE(saw_cancel_) << "the time-out has not passed on the runtime's clock";
  clock_.Advance(seconds(5) + milliseconds(1));
  ASSERT_TRUE(Eventually([&] { return saw_cancel_.load(); }));
  ASSERT_TRUE(Eventually([&] { return InState(id, "retryable"); }));
  EXPECT_NE(Find(id).errors.find("timed out after 5000 ms"), std::string::npos) << Find(id).errors;
}

TEST_F(JobRuntimeTest, AFailedAttemptWaitsOutItsBackOffOnTheRuntimesClock) {
  auto kind =
      JobKind::Make("test.fail_once", "default", [this](JobContext& context) -> Result<nlohmann::json> {
        ++started_;
        if (context.attempt() == 1) return Error{ErrorCode::kUnavailable, "first attempt fails"};
        return nlohmann::json{{"attempt", context.attempt()}};
      });
  kind.backoff = BackoffPolicy{seconds(10), seconds(10)};  // 5-10 s after jitter
  kinds_.Add(std::move(kind));
  StartRuntime("worker", milliseconds(10));
  auto id = Enqueue("test.fail_once");
  ASSERT_TRUE(Eventually([&] { return InState(id, "retryable"); }));
  JobRecord failed = Find(id);
  EXPECT_GE(failed.run_at - clock_.WallMillis(), 5000);
  EXPECT_LE(failed.run_at - clock_.WallMillis(), 10000);
  clock_.Advance(milliseconds(failed.run_at - clock_.WallMillis() - 1));
  std::this_thread::sleep_for(milliseconds(50));
  EXPECT_EQ(started_, 1) << "1 ms of back-off left: no second attempt yet";
  clock_.Advance(milliseconds(1));
  ASSERT_TRUE(Eventually([&] { return InState(id, "completed"); }));
  EXPECT_EQ(Find(id).attempt, 2);
}

TEST_F(JobRuntimeTest, StoppingPastTheDrainTimeoutCancelsAndReleasesTheRunningJob) {
  kinds_.Add(JobKind::Make("test.block", "default", Blocking()));
  JobRuntime& runtime = StartRuntime("worker", kNever);
  auto id = Enqueue("test.block");
  ASSERT_TRUE(Eventually([&] { return started_ == 1; }));
  auto before = std::chrono::steady_clock::now();
  EXPECT_TRUE(runtime.Stop(milliseconds(50)));
  auto took = std::chrono::steady_clock::now() - before;
  EXPECT_GE(took, milliseconds(50)) << "the handler had its drain time";
  EXPECT_LT(took, seconds(5));
  EXPECT_TRUE(saw_cancel_);
  JobRecord released = Find(id);
  EXPECT_EQ(released.state, "available") << "another worker takes it at once";
  EXPECT_FALSE(released.lease_owner.has_value());
}

}  // namespace
}  // namespace keel::jobs
