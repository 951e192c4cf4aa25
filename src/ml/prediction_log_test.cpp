// PredictionLog: a full queue drops (and counts) what does not fit; Stop writes everything queued.
#include "ml/prediction_log.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>

#include <boost/asio/co_spawn.hpp>

#include "ml/models_module.hpp"
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
    auto db = sql::SqliteDatabase::Open({.path = path_.string(),
                                         .pool_size = 2,
                                         .busy_timeout_ms = 5000,
                                         .acquire_timeout = std::chrono::milliseconds(2000),
                                         .queue_limit = 64},
                                        metrics_);
    ASSERT_TRUE(db.ok()) << db.error().message;
    db_ = std::move(db).value();
    ASSERT_TRUE(db_->Migrate(Migrations("sqlite")).ok());
    meta_ = std::make_shared<ModelMeta>();
    meta_->name = "property";
    meta_->version = "v1";
    meta_->features = {{"area", 0, 10000}, {"year", 1800, 2030}};
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

}  // namespace
}  // namespace keel::ml
