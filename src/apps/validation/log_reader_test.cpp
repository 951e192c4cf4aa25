// Every page of an app's logs is an index range scan in the page's order, with no sort step (EXPLAIN QUERY
// PLAN on SQLite), and cursors survive a round trip.
#include "apps/validation/log_reader.hpp"

#include <filesystem>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "apps/validation/validation_module.hpp"
#include "storage/sql/sqlite/sqlite_connection.hpp"

namespace keel::validation {
namespace {

class LogQueryPlanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = std::filesystem::temp_directory_path() / "keel-log-plans.db";
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_.string() + suffix);
    auto connection = sql::SqliteConnection::Open(path_.string(), 1000);
    ASSERT_TRUE(connection.ok());
    connection_ = std::move(connection).value();
    for (const auto& migration : Migrations("sqlite")) ASSERT_TRUE(connection_->Exec(migration.sql).ok());
    ASSERT_TRUE(connection_->Exec("ANALYZE").ok());
  }
  void TearDown() override {
    connection_.reset();
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_.string() + suffix);
  }

  std::string Plan(const sql::Statement& statement) {
    auto rows = connection_->Run("EXPLAIN QUERY PLAN " + statement.sql, statement.params);
    EXPECT_TRUE(rows.ok()) << rows.error().message;
    std::string plan;
    for (std::size_t r = 0; r < rows->rows.size(); ++r)
      plan += std::string(rows->Text(r, 3).value_or("")) + "\n";
    return plan;
  }

  std::filesystem::path path_;
  std::unique_ptr<sql::SqliteConnection> connection_;
};

TEST_F(LogQueryPlanTest, EveryPageIsAnIndexRangeScanWithoutSorting) {
  for (std::string_view table : {"log_entries", "failed_events"}) {
    for (int filters = 0; filters < 32; ++filters) {
      LogQuery query;
      if (filters & 1) query.event = "signup";
      if ((filters & 2) && table == "log_entries") query.valid = false;
      if (filters & 4) query.since_ms = 1'000;
      if (filters & 8) query.until_ms = 2'000;
      if (filters & 16) query.after = LogCursor{1'500, 42};
      sql::Statement statement = LogPageQuery(table, "app-1", query);
      std::string plan = Plan(statement);
      EXPECT_NE(plan.find(fmt::format("SEARCH {} USING INDEX {}_app_", table, table)), std::string::npos)
          << statement.sql << "\n"
          << plan;
      EXPECT_EQ(plan.find("TEMP B-TREE"), std::string::npos) << statement.sql << "\n" << plan;
      EXPECT_EQ(plan.find("SCAN"), std::string::npos) << statement.sql << "\n" << plan;
    }
  }
}

TEST(LogCursor, RoundTripsAndRefusesWhatItDidNotGiveOut) {
  auto cursor = DecodeLogCursor(EncodeLogCursor({1'733'100'000'123, 987}));
  ASSERT_TRUE(cursor.has_value());
  EXPECT_EQ(cursor->created_ms, 1'733'100'000'123);
  EXPECT_EQ(cursor->id, 987);
  for (std::string_view bad : {"", "zz", "MTIz", "!!!", "MTIzLg"})  // "123", "123."
    EXPECT_FALSE(DecodeLogCursor(bad).has_value()) << bad;
}

}  // namespace
}  // namespace keel::validation
