// The queue's guarantees at the SQL level, on a real SQLite file with time passed in by hand: unique keys,
// fencing of expired and cancelled leases, retries into discard, priorities, release, one fire per tick.
#include "jobs/job_store.hpp"

#include <utility>

#include <filesystem>

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "jobs/jobs_module.hpp"
#include "storage/sql/sqlite/sqlite_database.hpp"

namespace keel::jobs {
namespace {

namespace asio = boost::asio;

constexpr std::int64_t kT0 = 1'800'000'000'000;  // 2027-01-15, Unix ms
constexpr std::int64_t kLeaseMs = 1000;

class JobStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ =
        std::filesystem::temp_directory_path() /
        ("keel-jobs-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + ".db");
    Cleanup();
    auto db = sql::SqliteDatabase::Open({.path = path_.string(), .pool_size = 2}, metrics_);
    ASSERT_TRUE(db.ok()) << db.error().message;
    db_ = std::move(db).value();
    ASSERT_TRUE(db_->Migrate(Migrations("sqlite")).ok());
    store_ = std::make_unique<JobStore>(*db_);
  }
  void TearDown() override {
    store_.reset();
    db_.reset();
    Cleanup();
  }
  void Cleanup() {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_.string() + suffix);
  }

  // Runs one awaitable to completion and returns its value.
  template <class T>
  T Await(Task<T> task) {
    io_.restart();
    std::optional<T> out;
    asio::co_spawn(
        io_, [&]() -> Task<void> { out.emplace(co_await std::move(task)); },
        [](std::exception_ptr e) {
          if (e) std::rethrow_exception(e);
        });
    io_.run();
    return std::move(*out);
  }

  static JobRequest Request(std::string kind, int max_attempts = 5) {
    JobRequest request;
    request.kind = std::move(kind);
    request.queue = "default";
    request.max_attempts = max_attempts;
    return request;
  }

  std::int64_t Enqueue(JobRequest request, std::int64_t now = kT0) {
    auto enqueued = Await(store_->Enqueue(std::move(request), now));
    EXPECT_TRUE(enqueued.ok()) << enqueued.error().message;
    return enqueued->id;
  }

  std::vector<ClaimedJob> Claim(const std::string& worker, std::int64_t now, int limit = 10) {
    auto claimed = Await(store_->Claim("default", worker, limit, now, kLeaseMs));
    EXPECT_TRUE(claimed.ok()) << claimed.error().message;
    return claimed.ok() ? *claimed : std::vector<ClaimedJob>{};
  }

  JobRecord Find(std::int64_t id) { return **Await(store_->Find(id)); }

  std::filesystem::path path_;
  asio::io_context io_;  // outlives db_: its threads post into it
  Metrics metrics_;
  std::unique_ptr<sql::Database> db_;
  std::unique_ptr<JobStore> store_;
};

TEST_F(JobStoreTest, UniqueKeyReturnsTheLiveJobUntilItFinishes) {
  auto request = Request("mail");
  request.unique_key = "reminder:42";
  auto first = Await(store_->Enqueue(request, kT0));
  auto second = Await(store_->Enqueue(request, kT0 + 1));
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_TRUE(first->created);
  EXPECT_FALSE(second->created);
  EXPECT_EQ(first->id, second->id);

  auto claimed = Claim("w1", kT0 + 2);
  ASSERT_EQ(claimed.size(), 1U);
  EXPECT_FALSE(Await(store_->Enqueue(request, kT0 + 3))->created);  // running is still live
  ASSERT_TRUE(*Await(store_->Complete(claimed[0].id, claimed[0].lease_token, "{}", kT0 + 4)));
  auto third = Await(store_->Enqueue(request, kT0 + 5));
  EXPECT_TRUE(third->created);
  EXPECT_NE(third->id, first->id);
}

TEST_F(JobStoreTest, AnExpiredLeaseCannotCompleteAfterAnotherWorkerTookTheJob) {
  auto id = Enqueue(Request("report"));
  auto a = Claim("worker-a", kT0);
  ASSERT_EQ(a.size(), 1U);
  // worker-a stalls: no heartbeat; its lease lapses and the reaper makes the job available again.
  auto rescued = Await(store_->RescueExpired(kT0 + kLeaseMs + 1));
  ASSERT_EQ(rescued->size(), 1U);
  EXPECT_EQ((*rescued)[0].state, "available");
  auto b = Claim("worker-b", kT0 + kLeaseMs + 2);
  ASSERT_EQ(b.size(), 1U);
  EXPECT_GT(b[0].lease_token, a[0].lease_token);
  EXPECT_EQ(b[0].attempt, 2);

  EXPECT_FALSE(*Await(store_->Complete(id, a[0].lease_token, "{\"by\":\"a\"}", kT0 + kLeaseMs + 3)));
  EXPECT_FALSE(*Await(store_->Heartbeat(id, a[0].lease_token, kT0 + kLeaseMs + 3, kLeaseMs)));
  EXPECT_FALSE(Await(store_->Fail(id, a[0].lease_token, "late", kT0, kT0 + kLeaseMs + 3))->has_value());
  EXPECT_TRUE(*Await(store_->Complete(id, b[0].lease_token, "{\"by\":\"b\"}", kT0 + kLeaseMs + 4)));

  auto job = Find(id);
  EXPECT_EQ(job.state, "completed");
  EXPECT_EQ(*job.result, "{\"by\":\"b\"}");
  EXPECT_NE(job.errors.find("lease expired"), std::string::npos) << job.errors;
}

TEST_F(JobStoreTest, HeartbeatsKeepALeaseAlive) {
  Enqueue(Request("report"));
  auto a = Claim("worker-a", kT0);
  ASSERT_EQ(a.size(), 1U);
  EXPECT_TRUE(*Await(store_->Heartbeat(a[0].id, a[0].lease_token, kT0 + 900, kLeaseMs)));
  EXPECT_TRUE(Await(store_->RescueExpired(kT0 + kLeaseMs + 1))->empty());
  EXPECT_EQ(Await(store_->RescueExpired(kT0 + 900 + kLeaseMs + 1))->size(), 1U);
}

TEST_F(JobStoreTest, ACancelledJobRefusesItsWorkersWrites) {
  auto id = Enqueue(Request("report"));
  auto a = Claim("worker-a", kT0);
  ASSERT_EQ(a.size(), 1U);
  ASSERT_TRUE(Await(store_->Cancel(id, kT0 + 1)).ok());
  EXPECT_FALSE(*Await(store_->Heartbeat(id, a[0].lease_token, kT0 + 2, kLeaseMs)));
  EXPECT_FALSE(*Await(store_->Progress(id, a[0].lease_token, 50, "half", kT0 + 2)));
  EXPECT_FALSE(*Await(store_->Complete(id, a[0].lease_token, "{}", kT0 + 3)));
  EXPECT_EQ(Find(id).state, "cancelled");
  EXPECT_EQ(Await(store_->Cancel(id, kT0 + 4)).error().code, ErrorCode::kConflict);
}

TEST_F(JobStoreTest, EveryWriteThatChangesAJobTellsTheChangeListenerAndRefusedOnesDoNot) {
  std::vector<std::int64_t> changed;
  store_->SetChangeListener([&changed](std::int64_t id) { changed.push_back(id); });
  auto id = Enqueue(Request("report"));
  EXPECT_TRUE(changed.empty());  // enqueued: nobody can be watching a job without an id yet
  auto a = Claim("worker-a", kT0);
  ASSERT_EQ(a.size(), 1U);
  ASSERT_TRUE(*Await(store_->Progress(id, a[0].lease_token, 50, "half", kT0 + 1)));
  ASSERT_TRUE(Await(store_->Cancel(id, kT0 + 2)).ok());
  EXPECT_FALSE(*Await(store_->Complete(id, a[0].lease_token, "{}", kT0 + 3)));  // refused: no change
  ASSERT_TRUE(Await(store_->Retry(id, kT0 + 4)).ok());
  auto b = Claim("worker-b", kT0 + 5);
  ASSERT_TRUE(*Await(store_->Complete(id, b[0].lease_token, "{}", kT0 + 6)));
  EXPECT_EQ(changed, std::vector<std::int64_t>(6, id));  // claim, progress, cancel, retry, claim, complete
}

TEST_F(JobStoreTest, FailuresRetryAtTheirBackoffThenDiscardWithEveryError) {
  auto id = Enqueue(Request("flaky", 2));
  auto first = Claim("w", kT0);
  ASSERT_EQ(first.size(), 1U);
  auto state = Await(store_->Fail(id, first[0].lease_token, "boom 1", kT0 + 5000, kT0 + 1));
  EXPECT_EQ(**state, "retryable");
  EXPECT_TRUE(Claim("w", kT0 + 4999).empty());  // not before its back-off
  auto second = Claim("w", kT0 + 5000);
  ASSERT_EQ(second.size(), 1U);
  EXPECT_EQ(second[0].attempt, 2);
  state = Await(store_->Fail(id, second[0].lease_token, "boom 2", kT0 + 9000, kT0 + 5001));
  EXPECT_EQ(**state, "discarded");
  EXPECT_TRUE(Claim("w", kT0 + 20000).empty());

  auto job = Find(id);
  EXPECT_EQ(job.state, "discarded");
  auto errors = nlohmann::json::parse(job.errors);
  ASSERT_EQ(errors.size(), 2U);
  EXPECT_EQ(errors[0]["error"], "boom 1");
  EXPECT_EQ(errors[1]["attempt"], 2);
  ASSERT_TRUE(job.finished_at.has_value());

  // An admin retry grants one more attempt.
  auto retried = Await(store_->Retry(id, kT0 + 30000));
  ASSERT_TRUE(retried.ok());
  EXPECT_EQ(retried->state, "available");
  EXPECT_EQ(retried->max_attempts, 3);
  EXPECT_EQ(Claim("w", kT0 + 30000).size(), 1U);
}

TEST_F(JobStoreTest, ClaimsHighestPriorityThenOldestReadyAndSkipsFutureJobs) {
  auto low = Enqueue(Request("a"), kT0);
  auto later = Request("b");
  later.run_at_ms = kT0 + 60000;
  auto future = Enqueue(later, kT0);
  auto high_request = Request("c");
  high_request.priority = 5;
  auto high = Enqueue(high_request, kT0 + 10);
  EXPECT_EQ(Find(future).state, "scheduled");

  auto claimed = Claim("w", kT0 + 20, 1);
  ASSERT_EQ(claimed.size(), 1U);
  EXPECT_EQ(claimed[0].id, high);
  claimed = Claim("w", kT0 + 20);
  ASSERT_EQ(claimed.size(), 1U);
  EXPECT_EQ(claimed[0].id, low);
  claimed = Claim("w", kT0 + 60000);
  ASSERT_EQ(claimed.size(), 1U);
  EXPECT_EQ(claimed[0].id, future);
}

TEST_F(JobStoreTest, ABatchClaimHandsJobsOverInPriorityOrder) {
  auto low = Enqueue(Request("a"), kT0);
  auto high_request = Request("b");
  high_request.priority = 9;
  auto high = Enqueue(high_request, kT0 + 5);
  auto mid_request = Request("c");
  mid_request.priority = 3;
  auto mid = Enqueue(mid_request, kT0 + 1);
  auto claimed = Claim("w", kT0 + 10);
  ASSERT_EQ(claimed.size(), 3U);
  EXPECT_EQ(claimed[0].id, high);
  EXPECT_EQ(claimed[1].id, mid);
  EXPECT_EQ(claimed[2].id, low);
}

TEST_F(JobStoreTest, ReleaseGivesTheJobBackWithoutSpendingTheAttempt) {
  auto id = Enqueue(Request("a"));
  auto a = Claim("w", kT0);
  ASSERT_TRUE(*Await(store_->Release(id, a[0].lease_token, kT0 + 1, kT0 + 1)));
  auto job = Find(id);
  EXPECT_EQ(job.state, "available");
  EXPECT_EQ(job.attempt, 0);
  auto b = Claim("other", kT0 + 2);
  ASSERT_EQ(b.size(), 1U);
  EXPECT_EQ(b[0].attempt, 1);
}

TEST_F(JobStoreTest, ADeferredJobWaitsInTheQueueWithItsAttemptUnspent) {
  auto id = Enqueue(Request("a"));
  auto a = Claim("w", kT0);
  ASSERT_TRUE(*Await(store_->Release(id, a[0].lease_token, kT0 + 1, kT0 + 5000)));
  EXPECT_TRUE(Claim("other", kT0 + 4999).empty());
  auto b = Claim("other", kT0 + 5000);
  ASSERT_EQ(b.size(), 1U);
  EXPECT_EQ(b[0].attempt, 1);
}

TEST_F(JobStoreTest, OneTickFiresOnceHoweverManySchedulersTry) {
  ASSERT_TRUE(*Await(store_->AdvanceSchedule("cleanup", std::nullopt, kT0, std::nullopt, kT0)));
  EXPECT_FALSE(*Await(store_->AdvanceSchedule("cleanup", std::nullopt, kT0, std::nullopt, kT0)));
  auto run = Request("cleanup");
  run.unique_key = "periodic:cleanup";
  EXPECT_TRUE(*Await(store_->AdvanceSchedule("cleanup", kT0, kT0 + 60000, run, kT0 + 60000)));
  // A second scheduler that read the same previous tick loses the compare-and-set and enqueues nothing.
  EXPECT_FALSE(*Await(store_->AdvanceSchedule("cleanup", kT0, kT0 + 60000, run, kT0 + 60001)));
  EXPECT_EQ(**Await(store_->LastTick("cleanup")), kT0 + 60000);
  JobFilter filter;
  filter.kind = "cleanup";
  auto page = Await(store_->List(filter, 1, 10));
  EXPECT_EQ(page->total, 1);
}

TEST_F(JobStoreTest, OnlyOneOwnerHoldsANamedLease) {
  EXPECT_TRUE(*Await(store_->AcquireLease("scheduler", "a", kT0, 10000)));
  EXPECT_FALSE(*Await(store_->AcquireLease("scheduler", "b", kT0 + 5000, 10000)));
  EXPECT_TRUE(*Await(store_->AcquireLease("scheduler", "a", kT0 + 5000, 10000)));   // renewal
  EXPECT_TRUE(*Await(store_->AcquireLease("scheduler", "b", kT0 + 15001, 10000)));  // a's lapsed
  ASSERT_TRUE(Await(store_->DropLease("scheduler", "b")).ok());
  EXPECT_TRUE(*Await(store_->AcquireLease("scheduler", "a", kT0 + 15002, 10000)));
}

}  // namespace
}  // namespace keel::jobs
