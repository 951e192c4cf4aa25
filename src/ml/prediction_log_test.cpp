// PredictionLog: a full queue drops (and counts) what does not fit; Stop writes everything queued; the
// rollups written with the rows hold exactly what the rows say.
#include "ml/prediction_log.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <optional>
#include <thread>

#include <boost/asio/co_spawn.hpp>

#include "core/run_to_completion.hpp"
#include "ml/models_module.hpp"
#include "ml/prediction_rollups.hpp"
#include "storage/sql/postgres/test_database.hpp"
#include "storage/sql/sqlite/sqlite_database.hpp"

namespace keel::ml {
namespace {

PredictionLogOptions Options(std::size_t queue_limit, std::size_t batch_rows) {
  PredictionLogOptions options;
  options.queue_limit = queue_limit;
  options.batch_rows = batch_rows;
  options.flush_interval = std::chrono::seconds(60);  // only size and Stop make a batch here
  return options;
}

class PredictionLogTest : public testing::Test {
 protected:
  void SetUp() override {
    path_ = std::filesystem::temp_directory_path() /
            ("keel-prediction-log-" + std::to_string(::getpid()) + "-" +
             testing::UnitTest::GetInstance()->current_test_info()->name() + ".db");
    meta_ = std::make_shared<ModelMeta>();
    meta_->name = "property";
    meta_->version = "v1";
    meta_->features = {{"area", 0, 10000}, {"year", 1800, 2030}};
    auto db = OpenDatabase();
    if (!db) GTEST_SKIP() << "KEEL_TEST_PG_URL is not set";
    ASSERT_TRUE(db->ok()) << db->error().message;
    db_ = std::move(*db).value();
  }
  // The database the test runs on, migrated: nothing when its server is not configured.
  virtual std::optional<Result<std::unique_ptr<sql::Database>>> OpenDatabase() {
    auto db = sql::SqliteDatabase::Open({.path = path_.string(),
                                         .pool_size = 2,
                                         .busy_timeout_ms = 5000,
                                         .acquire_timeout = std::chrono::milliseconds(2000),
                                         .queue_limit = 64},
                                        metrics_);
    if (!db) return Result<std::unique_ptr<sql::Database>>(std::move(db).error());
    if (auto migrated = (*db)->Migrate(Migrations("sqlite")); !migrated)
      return Result<std::unique_ptr<sql::Database>>(std::move(migrated).error());
    return Result<std::unique_ptr<sql::Database>>(std::unique_ptr<sql::Database>(std::move(db).value()));
  }
  void TearDown() override {
    db_.reset();
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_.string() + suffix);
  }

  std::vector<PredictionRecord> Records(int n) {
    std::vector<PredictionRecord> records(n);
    for (int i = 0; i < n; ++i) {
      records[i].at_ms = 1000 + i;
      records[i].model = meta_;
      records[i].features = {1500.0f + i, 1999.0f};
      records[i].prediction = 100000.0 + i;
      records[i].latency_us = 250;
      records[i].cached = i % 2 == 0;
    }
    return records;
  }

  std::int64_t Count(const std::string& sql) {
    io_.restart();
    std::int64_t count = -1;
    boost::asio::co_spawn(
        io_,
        [&]() -> Task<void> {
          auto rows = co_await db_->Query(sql);
          if (rows) count = rows->Int(0, 0).value_or(-1);
        },
        [](std::exception_ptr) {});
    io_.run();
    return count;
  }

  std::filesystem::path path_;
  Metrics metrics_;
  boost::asio::io_context io_;  // outlives the database, whose threads post into it
  std::unique_ptr<sql::Database> db_;
  std::shared_ptr<ModelMeta> meta_;
};

TEST_F(PredictionLogTest, AFullQueueDropsAndCountsWhatDoesNotFit) {
  PredictionLog log(*db_, Options(4, 100), metrics_);
  log.Record(Records(3));
  log.Record(Records(3));
  EXPECT_EQ(log.Queued(), 4U);
  EXPECT_NE(metrics_.Serialize().find("keel_prediction_log_dropped_total 2"), std::string::npos);
}

TEST_F(PredictionLogTest, StopWritesEverythingQueuedInBatches) {
  PredictionLog log(*db_, Options(1000, 7), metrics_);
  log.Start();
  log.Record(Records(20));
  log.Stop();
  EXPECT_EQ(Count("SELECT COUNT(*) FROM prediction_logs"), 20);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM prediction_logs WHERE cached = 1"), 10);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM prediction_logs WHERE features = '{\"area\":1500,\"year\":1999}' "
                  "AND version = 'v1' AND latency_us = 250"),
            1);
  EXPECT_NE(metrics_.Serialize().find("keel_prediction_log_written_total 20"), std::string::npos);
  // As in the App: the database (and its writer thread, which posts into the log's event loop) goes first.
  db_.reset();
}

// Records spread over three hours across midnight and two versions, a third of them a shadow's: the rollups
// read over any window hold exactly the rows of its whole minutes, and percentiles within 1% of theirs.
TEST_F(PredictionLogTest, RollupsHoldExactlyTheRowsOfAWindowsWholeMinutes) {
  auto v2 = std::make_shared<ModelMeta>(*meta_);
  v2->version = "v2";
  constexpr std::int64_t kMidnight = 1'767'225'600'000;  // 2026-01-01T00:00:00Z
  constexpr std::int64_t kStart = kMidnight - 2 * kRollupHourMs;
  std::vector<PredictionRecord> records;
  for (int i = 0; i < 6000; ++i) {
    PredictionRecord r;
    r.at_ms = kStart + std::int64_t{i} * 1799 + 7;  // three hours over two days, not aligned to minutes
    r.model = i % 2 == 0 ? meta_ : v2;
    r.features = {1500.0f, 1999.0f};
    r.prediction = 50'000.0 + (i * 7919 % 100'000);
    r.latency_us = 100 + (i * 104'729 % 20'000);
    r.cached = i % 5 == 0;
    r.shadow = i % 3 == 0;
    records.push_back(r);
  }
  PredictionLog log(*db_, Options(10'000, 700), metrics_);
  log.Start();
  log.Record(records);
  log.Stop();

  // Windows read from minute, hour and day rows; from hour and day rows; from day rows; from minute and hour
  // rows.
  for (std::int64_t since : {kStart + 1'234'567, kStart, kMidnight, kMidnight + 1'234'567}) {
    std::int64_t first_minute = since - since % kRollupMinuteMs;
    auto versions = RunToCompletion(io_, ReadRollups(*db_, "property", since));
    ASSERT_TRUE(versions.ok()) << versions.error().message;
    for (const auto& group : *versions) {
      std::vector<double> latencies, predictions;
      std::int64_t cached = 0;
      double sum = 0;
      for (const auto& r : records) {
        if (r.at_ms < first_minute || r.model->version != group.version || r.shadow != group.shadow) continue;
        latencies.push_back(static_cast<double>(r.latency_us));
        predictions.push_back(r.prediction);
        cached += r.cached ? 1 : 0;
        sum += r.prediction;
      }
      SCOPED_TRACE(group.version + (group.shadow ? " shadow" : " served") + " since " +
                   std::to_string(since));
      ASSERT_EQ(group.totals.count, static_cast<std::int64_t>(latencies.size()));
      EXPECT_EQ(group.totals.cached, cached);
      EXPECT_NEAR(group.totals.prediction_sum, sum, 1e-6 * sum);
      std::sort(latencies.begin(), latencies.end());
      std::sort(predictions.begin(), predictions.end());
      for (double p : {0.5, 0.95}) {
        auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(latencies.size()))) - 1;
        EXPECT_NEAR(*group.totals.latency_us.Quantile(p), latencies[rank], 0.01 * latencies[rank]);
        EXPECT_NEAR(*group.totals.prediction.Quantile(p), predictions[rank], 0.01 * predictions[rank]);
      }
    }
    EXPECT_EQ(versions->size(), 4u);  // v1 and v2, served and shadow
  }
  // One row per minute, hour and day, per version and role.
  EXPECT_EQ(Count("SELECT COUNT(*) FROM prediction_rollups WHERE period_ms = 3600000"), 4 * 3);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM prediction_rollups WHERE period_ms = 86400000"), 4 * 2);
  db_.reset();
}

// Two writers (two instances) adding to the same minutes at once lose nothing: each upsert locks its row, and
// the sketches are merged from the row it locked.
TEST_F(PredictionLogTest, TwoWritersAddingToTheSameRowsLoseNothing) {
  PredictionLog first(*db_, Options(10'000, 50), metrics_);
  PredictionLog second(*db_, Options(10'000, 50), metrics_);
  first.Start();
  second.Start();
  std::thread a([&] {
    for (int i = 0; i < 20; ++i) first.Record(Records(100));
  });
  std::thread b([&] {
    for (int i = 0; i < 20; ++i) second.Record(Records(100));
  });
  a.join();
  b.join();
  first.Stop();
  second.Stop();
  auto versions = RunToCompletion(io_, ReadRollups(*db_, "property", 0));
  ASSERT_TRUE(versions.ok()) << versions.error().message;
  ASSERT_EQ(versions->size(), 1u);
  EXPECT_EQ((*versions)[0].totals.count, 4000);
  EXPECT_EQ((*versions)[0].totals.latency_us.count(), 4000u);
  EXPECT_EQ((*versions)[0].totals.prediction.count(), 4000u);
  EXPECT_EQ((*versions)[0].totals.cached, 2000);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM prediction_logs"), 4000);
  db_.reset();
}

// The log on the shared PostgreSQL database of `keel cluster up` (migrated by it), where writers really run
// at once: a model name of this process's own keeps its rows apart from other runs'.
class PostgresPredictionLogTest : public PredictionLogTest {
 protected:
  std::optional<Result<std::unique_ptr<sql::Database>>> OpenDatabase() override {
    meta_->name = "prediction-log-test-" + std::to_string(::getpid()) + "-" +
                  std::to_string(std::chrono::system_clock::now().time_since_epoch().count());
    return sql::OpenTestPostgres(metrics_);
  }
};

// Four writers (four instances) adding to the same minute, hour and day rows at once: the upsert's row lock
// makes them take turns, and each merges the sketches the one before it committed.
TEST_F(PostgresPredictionLogTest, FourWritersAddingToTheSameRowsLoseNothing) {
  constexpr int kWriters = 4;
  constexpr int kBatches = 25;
  std::vector<std::unique_ptr<PredictionLog>> logs;
  for (int i = 0; i < kWriters; ++i) {
    logs.push_back(std::make_unique<PredictionLog>(*db_, Options(10'000, 20), metrics_));
    logs.back()->Start();
  }
  std::vector<std::thread> writers;
  for (auto& log : logs)
    writers.emplace_back([&] {
      for (int i = 0; i < kBatches; ++i) log->Record(Records(20));
    });
  for (auto& writer : writers) writer.join();
  for (auto& log : logs) log->Stop();
  constexpr std::int64_t kTotal = kWriters * kBatches * 20;
  auto versions = RunToCompletion(io_, ReadRollups(*db_, meta_->name, 0));
  ASSERT_TRUE(versions.ok()) << versions.error().message;
  ASSERT_EQ(versions->size(), 1u);
  EXPECT_EQ((*versions)[0].totals.count, kTotal);
  EXPECT_EQ((*versions)[0].totals.latency_us.count(), static_cast<std::uint64_t>(kTotal));
  EXPECT_EQ((*versions)[0].totals.prediction.count(), static_cast<std::uint64_t>(kTotal));
  EXPECT_EQ((*versions)[0].totals.cached, kTotal / 2);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM prediction_logs WHERE model = '" + meta_->name + "'"), kTotal);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM prediction_rollups WHERE model = '" + meta_->name + "'"), 3);
  db_.reset();  // before the logs: its threads post into their event loops
}

TEST_F(PredictionLogTest, AStoredSketchThatDoesNotParseIsAnErrorNotAGuess) {
  PredictionLog log(*db_, Options(1000, 100), metrics_);
  log.Start();
  log.Record(Records(10));
  log.Stop();
  ASSERT_EQ(Count("SELECT COUNT(*) FROM prediction_rollups"), 3);  // its minute, hour and day
  auto broken =
      RunToCompletion(io_, db_->Execute("UPDATE prediction_rollups SET latency_sketch = 'garbage'"));
  ASSERT_TRUE(broken.ok());
  auto versions = RunToCompletion(io_, ReadRollups(*db_, "property", 0));
  ASSERT_FALSE(versions.ok());
  EXPECT_EQ(versions.error().code, ErrorCode::kInternal);
  EXPECT_NE(versions.error().message.find("garbage"), std::string::npos);
  db_.reset();
}

}  // namespace
}  // namespace keel::ml
