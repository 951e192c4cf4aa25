// The batch store on a real SQLite file with a manual clock: the batch's status from its files' (completed,
// partial), results stored once, the daily quota, cancellation, and results expiring into the blob sweep.
// On PostgreSQL (when KEEL_TEST_PG_URL names a server): files of one batch finishing at once.
#include "apps/image2model/batch_store.hpp"

#include <utility>  // before Boost

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "apps/image2model/image2model_module.hpp"
#include "apps/siprems/siprems_module.hpp"
#include "apps/tasks/tasks_module.hpp"
#include "apps/validation/validation_module.hpp"
#include "auth/identity_module.hpp"
#include "core/blocking_pool.hpp"
#include "core/metrics.hpp"
#include "core/run_to_completion.hpp"
#include "jobs/job_kinds.hpp"
#include "jobs/job_metrics.hpp"
#include "jobs/job_queue.hpp"
#include "jobs/job_store.hpp"
#include "jobs/jobs_module.hpp"
#include "ml/models_module.hpp"
#include "storage/blobs/blob_refs.hpp"
#include "storage/sql/postgres/test_database.hpp"
#include "storage/sql/sqlite/sqlite_database.hpp"

namespace keel::image2model {
namespace {

namespace fs = std::filesystem;

// This test's own folder. The process id keeps apart two processes running the same test at once (ctest runs
// the PostgreSQL variant both alone, skipped, and within unit_servers): one's clean-up would delete the
// other's.
fs::path TestDir() {
  return fs::temp_directory_path() /
         fmt::format("keel-i2m-{}-{}", ::testing::UnitTest::GetInstance()->current_test_info()->name(),
                     ::getpid());
}

// A backend's Open result as the fixture holds it.
template <class Backend>
Result<std::unique_ptr<sql::Database>> AsDatabase(Result<std::unique_ptr<Backend>> opened) {
  if (!opened) return std::move(opened).error();
  return std::unique_ptr<sql::Database>(std::move(opened).value());
}

class BatchStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TestDir();
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    auto db = OpenDatabase();
    if (!db) GTEST_SKIP() << "KEEL_TEST_PG_URL is not set";
    ASSERT_TRUE(db->ok()) << db->error().message;
    db_ = std::move(*db).value();
    const std::string backend(db_->Backend());
    // Every module's that has any (app/modules.cpp's list, which this layer may not include): the shared
    // PostgreSQL database was migrated by `keel cluster up`, and refuses a binary that lacks one of its own.
    std::vector<sql::Migration> all = sql::PlatformMigrations(backend);
    for (const auto& part :
         {blobs::Migrations(backend), jobs::Migrations(backend), ml::Migrations(backend),
          auth::Migrations(backend), tasks::Migrations(backend), validation::Migrations(backend),
          image2model::Migrations(backend), siprems::Migrations(backend)})
      all.insert(all.end(), part.begin(), part.end());
    auto migrated = db_->Migrate(all);
    ASSERT_TRUE(migrated.ok()) << migrated.error().message;
    ASSERT_TRUE(Run(db_->Execute("INSERT INTO users (id, email, name, password_hash, created_at, updated_at) "
                                 "VALUES ('u1', 'batch-store-test@keel.invalid', 'u', 'x', 'now', 'now') "
                                 "ON CONFLICT DO NOTHING"))
                    .ok());
    for (std::string_view kind : {kBatchJob, kGenerateJob, std::string_view("image2model.webhook")})
      kinds_.Add(jobs::JobKind::Make(std::string(kind), "default",
                                     [](jobs::JobContext&) { return nlohmann::json(); }));
    job_store_ = std::make_unique<jobs::JobStore>(*db_);
    job_metrics_ = std::make_unique<jobs::JobMetrics>(metrics_);
    queue_ = std::make_unique<jobs::JobQueue>(*job_store_, kinds_, *job_metrics_, clock_);
    store_ = std::make_unique<BatchStore>(*db_, *queue_, clock_, std::chrono::hours(72));
    ASSERT_TRUE(blobs_.Open().ok());
  }
  // The database the test runs on: nothing when its server is not configured.
  virtual std::optional<Result<std::unique_ptr<sql::Database>>> OpenDatabase() {
    return AsDatabase(
        sql::SqliteDatabase::Open({.path = (dir_ / "keel.db").string(), .pool_size = 2}, metrics_));
  }

  void TearDown() override {
    store_.reset();
    queue_.reset();
    job_store_.reset();
    db_.reset();
    pool_.Stop();
    fs::remove_all(dir_);
  }

  template <class T>
  T Run(Task<T> task) {
    return RunToCompletion(io_, std::move(task));
  }

  // A batch of `files` files, each its own stored input.
  BatchRecord Batch(int files, std::string webhook = "") {
    BatchRecord batch;
    batch.id = batch_prefix_ + std::to_string(++batches_);
    batch.owner_id = "u1";
    if (!webhook.empty()) batch.webhook_url = webhook;
    for (int i = 0; i < files; ++i) {
      auto blob = blobs_.Put(batch.id + "-input-" + std::to_string(i));
      FileRecord file;
      file.id = batch.id + "-f" + std::to_string(i);
      file.batch_id = batch.id;
      file.position = i;
      file.filename = "f.jpg";
      file.media_type = "image/jpeg";
      file.input_sha256 = blob->sha256;
      file.input_size = static_cast<std::int64_t>(blob->size);
      batch.files.push_back(file);
    }
    return batch;
  }
  ResultBlobs Results(const std::string& tag) {
    ResultBlobs results;
    results.glb = *blobs_.Put(tag + "glb");
    results.stl = *blobs_.Put(tag + "stl");
    results.obj = *blobs_.Put(tag + "obj");
    results.thumbnail = *blobs_.Put(tag + "png");
    results.triangles = 12;
    return results;
  }
  std::int64_t Refs(const std::string& sha256) {
    auto rows = Run(db_->Query("SELECT refs FROM blob_refs WHERE sha256 = ?", sql::Args(sha256)));
    return rows->empty() ? -1 : rows->Int(0, 0).value_or(-1);
  }
  BatchRecord Find(const std::string& id) { return **Run(store_->Find(id)); }

  boost::asio::io_context io_;
  fs::path dir_;
  Metrics metrics_;
  ManualClock clock_;
  BlockingPool pool_{"test", 1, 16, metrics_};
  blobs::BlobStore blobs_{TestDir() / "blobs"};
  std::unique_ptr<sql::Database> db_;
  jobs::JobKinds kinds_;
  std::unique_ptr<jobs::JobStore> job_store_;
  std::unique_ptr<jobs::JobMetrics> job_metrics_;
  std::unique_ptr<jobs::JobQueue> queue_;
  std::unique_ptr<BatchStore> store_;
  int batches_ = 0;
  std::string batch_prefix_ = "b";
};

// The store on a shared PostgreSQL database: batch ids are made unique to this process.
class PostgresBatchStoreTest : public BatchStoreTest {
 protected:
  std::optional<Result<std::unique_ptr<sql::Database>>> OpenDatabase() override {
    batch_prefix_ = "pg" + std::to_string(::getpid()) + "-" +
                    std::to_string(std::chrono::system_clock::now().time_since_epoch().count()) + "-";
    return sql::OpenTestPostgres(metrics_);
  }
};

TEST_F(BatchStoreTest, StatusFollowsTheFilesAndResultsAreStoredOnce) {
  BatchRecord batch = Batch(2, "https://hooks.example.com/x");
  ASSERT_TRUE(Run(store_->Create(batch, 1 << 30)).ok());
  EXPECT_EQ(Find(batch.id).status, "queued");
  EXPECT_EQ(Refs(batch.files[0].input_sha256), 1);
  ASSERT_TRUE(*Run(store_->SetProgress(batch.files[0].id, "generating", 30, true)));
  EXPECT_EQ(Find(batch.id).status, "processing");

  ResultBlobs results = Results("a");
  ASSERT_TRUE(*Run(store_->Complete(batch.files[0].id, results)));
  EXPECT_FALSE(
      *Run(store_->Complete(batch.files[0].id, results)));  // a second attempt's results are not kept
  EXPECT_EQ(Refs(results.glb.sha256), 1);
  EXPECT_EQ(Find(batch.id).status, "processing");
  ASSERT_TRUE(Run(store_->Fail(batch.files[1].id, "cannot decode")).ok());
  BatchRecord done = Find(batch.id);
  EXPECT_EQ(done.status, "partial");
  EXPECT_TRUE(done.finished_ms);
  EXPECT_EQ(done.files[1].error.value_or(""), "cannot decode");
  // Finishing enqueued the webhook's delivery, once.
  auto hooks = Run(db_->Query("SELECT COUNT(*) FROM jobs WHERE kind = 'image2model.webhook'"));
  EXPECT_EQ(hooks->Int(0, 0), 1);
}

TEST_F(BatchStoreTest, TheDailyQuotaRefusesTheWholeBatch) {
  BatchRecord first = Batch(1), second = Batch(1);
  std::uint64_t size = static_cast<std::uint64_t>(first.files[0].input_size);
  ASSERT_TRUE(Run(store_->Create(first, size + 5)).ok());
  auto refused = Run(store_->Create(second, size + 5));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kRateLimited);
  EXPECT_FALSE(*Run(store_->Find(second.id)));
  EXPECT_EQ(Refs(second.files[0].input_sha256), -1);
  EXPECT_EQ(*Run(store_->UploadedToday("u1")), size);
}

TEST_F(BatchStoreTest, CancelStopsWhatHasNotFinished) {
  BatchRecord batch = Batch(2);
  ASSERT_TRUE(Run(store_->Create(batch, 1 << 30)).ok());
  ASSERT_TRUE(*Run(store_->Complete(batch.files[0].id, Results("c"))));
  auto cancelled = Run(store_->Cancel(batch.id));
  ASSERT_TRUE(cancelled.ok());
  EXPECT_EQ(cancelled->files[0].status, "completed");
  EXPECT_EQ(cancelled->files[1].status, "cancelled");
  EXPECT_EQ(cancelled->status, "partial");
  EXPECT_FALSE(*Run(store_->SetProgress(batch.files[1].id, "generating", 50, true)));
}

TEST_F(BatchStoreTest, ExpiredResultsAreReleasedAndSwept) {
  BatchRecord batch = Batch(1);
  ASSERT_TRUE(Run(store_->Create(batch, 1 << 30)).ok());
  ResultBlobs results = Results("e");
  ASSERT_TRUE(*Run(store_->Complete(batch.files[0].id, results)));
  EXPECT_EQ(*Run(store_->Expire()), 0);
  clock_.Advance(std::chrono::hours(73));
  EXPECT_EQ(*Run(store_->Expire()), 1);
  EXPECT_EQ(Refs(results.glb.sha256), 0);
  EXPECT_EQ(Refs(batch.files[0].input_sha256), 0);
  auto file = Run(store_->FindFile(batch.files[0].id));
  EXPECT_FALSE((*file)->first.results);
  // An hour after the release, with the files untouched for as long, the sweep removes them.
  clock_.Advance(std::chrono::hours(2));
  for (const auto& entry : fs::recursive_directory_iterator(blobs_.root()))
    if (entry.is_regular_file())
      fs::last_write_time(entry.path(), fs::file_time_type::clock::now() - std::chrono::hours(3));
  auto swept = Run(blobs::Sweep(*db_, blobs_, pool_, clock_.WallMillis(), std::chrono::hours(1)));
  ASSERT_TRUE(swept.ok()) << swept.error().message;
  EXPECT_FALSE(blobs_.SizeOf(results.glb.sha256));
  EXPECT_FALSE(blobs_.SizeOf(batch.files[0].input_sha256));
}

// Every file of a batch completing at once, each in its own transaction: on PostgreSQL they commit
// concurrently, and the last to commit must still see the others and finish the batch.
TEST_F(PostgresBatchStoreTest, FilesFinishingTogetherFinishTheBatch) {
  for (int round = 0; round < 4; ++round) {
    BatchRecord batch = Batch(8);
    ASSERT_TRUE(Run(store_->Create(batch, 1 << 30)).ok());
    std::vector<ResultBlobs> results;
    for (const auto& file : batch.files) results.push_back(Results(file.id));
    io_.restart();
    int stored = 0;
    for (std::size_t i = 0; i < batch.files.size(); ++i)
      boost::asio::co_spawn(
          io_,
          [&, i]() -> Task<void> {
            auto done = co_await store_->Complete(batch.files[i].id, results[i]);
            EXPECT_TRUE(done.ok()) << done.error().message;
            if (done.ok() && *done) ++stored;
          },
          boost::asio::detached);
    io_.run();
    EXPECT_EQ(stored, 8);
    BatchRecord finished = Find(batch.id);
    EXPECT_EQ(finished.status, "completed") << "round " << round;
    EXPECT_TRUE(finished.finished_ms);
  }
}

}  // namespace
}  // namespace keel::image2model
