// Every list query the Task API can issue must be an index range scan without a sort step (EXPLAIN QUERY
// PLAN).
#include "apps/tasks/task_store.hpp"

#include <filesystem>

#include <gtest/gtest.h>

#include "apps/tasks/tasks_module.hpp"
#include "storage/sql/sqlite/sqlite_connection.hpp"

namespace keel::tasks {
namespace {

class TaskQueryPlanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = std::filesystem::temp_directory_path() / "keel-task-plans.db";
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

  std::string Plan(const std::string& sql, std::size_t parameters) {
    sql::Params params(parameters, sql::Value(std::string("x")));
    auto rows = connection_->Run("EXPLAIN QUERY PLAN " + sql, params);
    EXPECT_TRUE(rows.ok()) << rows.error().message;
    std::string plan;
    for (std::size_t r = 0; r < rows->rows.size(); ++r)
      plan += std::string(rows->Text(r, 3).value_or("")) + "\n";
    return plan;
  }

  std::filesystem::path path_;
  std::unique_ptr<sql::SqliteConnection> connection_;
};

TEST_F(TaskQueryPlanTest, EveryListQueryIsAnIndexRangeScanWithoutSorting) {
  for (auto sort : {SortKey::kCreatedAt, SortKey::kDueAt, SortKey::kPriority}) {
    for (bool descending : {false, true}) {
      for (int filters = 0; filters < 4; ++filters) {
        ListQuery query;
        query.sort = sort;
        query.descending = descending;
        if (filters & 1) query.status = "todo";
        if (filters & 2) query.priority = "high";
        std::size_t params = 1 + (query.status ? 1 : 0) + (query.priority ? 1 : 0);
        std::string list = Plan(ListSql(query), params + 2);
        EXPECT_NE(list.find("SEARCH tasks USING INDEX tasks_user_"), std::string::npos)
            << ListSql(query) << "\n"
            << list;
        EXPECT_EQ(list.find("TEMP B-TREE"), std::string::npos) << ListSql(query) << "\n" << list;
        EXPECT_EQ(list.find("SCAN"), std::string::npos) << ListSql(query) << "\n" << list;
        std::string count = Plan(CountSql(query), params);
        EXPECT_NE(count.find("SEARCH tasks USING"), std::string::npos) << CountSql(query) << "\n" << count;
      }
    }
  }
}

}  // namespace
}  // namespace keel::tasks
