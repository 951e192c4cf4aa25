// Unit tests of migration selection and of applying migrations to a real SQLite file.
#include "storage/sql/migrations.hpp"

#include <filesystem>

#include <gtest/gtest.h>

#include "core/metrics.hpp"
#include "storage/sql/sqlite/sqlite_database.hpp"

namespace keel::sql {
namespace {

std::vector<Migration> TwoMigrations() {
  return {{2, "notes", "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);"},
          {1, "users", "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE);"}};
}

TEST(PendingMigrations, SortsAndSkipsApplied) {
  auto pending = PendingMigrations(TwoMigrations(), {1});
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->size(), 1U);
  EXPECT_EQ(pending->at(0).version, 2);
}

TEST(PendingMigrations, RejectsDuplicateVersions) {
  auto all = TwoMigrations();
  all.push_back({2, "again", "SELECT 1;"});
  EXPECT_FALSE(PendingMigrations(all, {}).ok());
}

TEST(PendingMigrations, RejectsDatabaseFromANewerBinary) {
  auto pending = PendingMigrations(TwoMigrations(), {1, 2, 3});
  ASSERT_FALSE(pending.ok());
  EXPECT_NE(pending.error().message.find("3"), std::string::npos);
}

TEST(PendingMigrations, LabelsAreZeroPadded) { EXPECT_EQ(MigrationLabel({7, "jobs", ""}), "0007_jobs"); }

class SqliteMigrateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = std::filesystem::temp_directory_path() /
            ("keel-migrate-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) +
             ".db");
    Cleanup();
  }
  void TearDown() override { Cleanup(); }
  void Cleanup() {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_.string() + suffix);
  }
  std::unique_ptr<SqliteDatabase> Open() {
    auto db = SqliteDatabase::Open({.path = path_.string(), .pool_size = 2}, metrics_);
    EXPECT_TRUE(db.ok());
    return std::move(db).value();
  }
  std::filesystem::path path_;
  Metrics metrics_;
};

TEST_F(SqliteMigrateTest, AppliesEachMigrationOnce) {
  {
    auto db = Open();
    auto report = db->Migrate(TwoMigrations());
    ASSERT_TRUE(report.ok()) << report.error().message;
    EXPECT_EQ(report->applied, (std::vector<std::string>{"0001_users", "0002_notes"}));
    EXPECT_EQ(report->current_version, 2);
  }
  auto db = Open();  // a restart sees them recorded
  auto again = db->Migrate(TwoMigrations());
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->applied.empty());
  EXPECT_EQ(again->current_version, 2);
}

TEST_F(SqliteMigrateTest, FailedMigrationRollsBackAndNamesItself) {
  auto db = Open();
  std::vector<Migration> migrations = {
      {1, "good", "CREATE TABLE a (id INTEGER PRIMARY KEY);"},
      {2, "bad", "CREATE TABLE b (id INTEGER PRIMARY KEY); INSERT INTO nowhere VALUES (1);"}};
  auto report = db->Migrate(migrations);
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.error().message.find("0002_bad"), std::string::npos);
  // Migration 2 left nothing behind: table b does not exist, and 1 stays applied.
  auto fixed = db->Migrate({migrations[0], {2, "bad", "CREATE TABLE b (id INTEGER PRIMARY KEY);"}});
  ASSERT_TRUE(fixed.ok()) << fixed.error().message;
  EXPECT_EQ(fixed->applied, std::vector<std::string>{"0002_bad"});
}

TEST_F(SqliteMigrateTest, ThePlatformsMigrationsApplyToAFreshDatabase) {
  auto db = Open();
  auto report = db->Migrate(PlatformMigrations("sqlite"));
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_EQ(report->applied.size(), PlatformMigrations("sqlite").size());
}

TEST(PendingMigrations, TwoModulesWithOneVersionAreRefusedByName) {
  std::vector<Migration> all = {{202612021530, "products", "SELECT 1", "sales"},
                                {202612021530, "apps", "SELECT 1", "validation"}};
  auto pending = PendingMigrations(all, {});
  ASSERT_FALSE(pending.ok());
  EXPECT_NE(pending.error().message.find("sales/202612021530_products"), std::string::npos)
      << pending.error().message;
  EXPECT_NE(pending.error().message.find("validation/202612021530_apps"), std::string::npos);
}

}  // namespace
}  // namespace keel::sql
