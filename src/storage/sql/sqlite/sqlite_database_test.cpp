// Tests of the SQLite backend through the Database interface, driven by a real io_context.
#include "storage/sql/sqlite/sqlite_database.hpp"

#include <utility>

#include <filesystem>

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace keel::sql {
namespace {

namespace asio = boost::asio;

class SqliteDatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = std::filesystem::temp_directory_path() /
            ("keel-sqlite-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) +
             ".db");
    Cleanup();
    auto db = SqliteDatabase::Open(
        {.path = path_.string(), .pool_size = 2, .acquire_timeout = std::chrono::milliseconds(200)},
        metrics_);
    ASSERT_TRUE(db.ok()) << db.error().message;
    db_ = std::move(db).value();
    auto migrated = db_->Migrate(
        {{1, "items", "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT UNIQUE, qty INTEGER);"}});
    ASSERT_TRUE(migrated.ok());
  }
  void TearDown() override {
    db_.reset();
    Cleanup();
  }
  void Cleanup() {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_.string() + suffix);
  }
  // Runs a coroutine to completion on a fresh io_context.
  template <class F>
  void Run(F body) {
    asio::io_context& io = io_;
    io.restart();
    bool finished = false;
    asio::co_spawn(
        io,
        [&]() -> Task<void> {
          co_await body();
          finished = true;
        },
        [](std::exception_ptr e) {
          if (e) std::rethrow_exception(e);
        });
    io.run();
    ASSERT_TRUE(finished);
  }

  std::filesystem::path path_;
  // Declared before db_ so it is destroyed after it: the database's pool threads may still be returning from
  // a post into this io_context when run() ends, and must be joined before the io_context goes away.
  asio::io_context io_;
  Metrics metrics_;
  std::unique_ptr<Database> db_;  // used through the interface, as callers do
};

TEST_F(SqliteDatabaseTest, ExecutesAndQueriesWithParameters) {
  Run([&]() -> Task<void> {
    auto inserted = co_await db_->Execute("INSERT INTO items (name, qty) VALUES (?, ?)", Args("bolt", 3));
    EXPECT_TRUE(inserted.ok());
    EXPECT_EQ(inserted.value(), 1);
    auto rows = co_await db_->Query("SELECT name, qty, NULL FROM items WHERE name = ?", Args("bolt"));
    EXPECT_TRUE(rows.ok());
    EXPECT_EQ(rows->rows.size(), 1U);
    EXPECT_EQ(rows->Text(0, 0), std::string_view("bolt"));
    EXPECT_EQ(rows->Int(0, 1), 3);
    EXPECT_FALSE(rows->Int(0, 2).has_value());
  });
}

TEST_F(SqliteDatabaseTest, UniqueViolationIsAConflict) {
  Run([&]() -> Task<void> {
    (void)co_await db_->Execute("INSERT INTO items (name, qty) VALUES (?, 1)", Args("nut"));
    auto again = co_await db_->Execute("INSERT INTO items (name, qty) VALUES (?, 1)", Args("nut"));
    EXPECT_FALSE(again.ok());
    EXPECT_EQ(again.error().code, ErrorCode::kConflict);
  });
}

TEST_F(SqliteDatabaseTest, FailedTransactionLeavesNothing) {
  Run([&]() -> Task<void> {
    auto outcome = co_await db_->Transaction([](Session& s) -> Task<Result<void>> {
      auto first = co_await s.Execute("INSERT INTO items (name, qty) VALUES ('a', 1)");
      if (!first) co_return std::move(first).error();
      co_return Error{ErrorCode::kValidation, "changed my mind"};
    });
    EXPECT_FALSE(outcome.ok());
    auto rows = co_await db_->Query("SELECT COUNT(*) FROM items");
    EXPECT_EQ(rows->Int(0, 0), 0);
  });
}

TEST_F(SqliteDatabaseTest, CommittedTransactionIsVisible) {
  Run([&]() -> Task<void> {
    auto outcome = co_await db_->Transaction([](Session& s) -> Task<Result<void>> {
      (void)co_await s.Execute("INSERT INTO items (name, qty) VALUES ('a', 1)");
      (void)co_await s.Execute("UPDATE items SET qty = qty + 1 WHERE name = 'a'");
      co_return Ok();
    });
    EXPECT_TRUE(outcome.ok());
    auto rows = co_await db_->Query("SELECT qty FROM items WHERE name = 'a'");
    EXPECT_EQ(rows->Int(0, 0), 2);
  });
}

TEST_F(SqliteDatabaseTest, GroupCommittedWritesFailAlone) {
  // Many concurrent writes share commits; the one that violates a constraint fails alone.
  asio::io_context& io = io_;
  std::vector<std::optional<Result<std::int64_t>>> results(50);
  for (int i = 0; i < 50; ++i) {
    asio::co_spawn(
        io,
        [&, i]() -> Task<void> {
          std::string name = i == 25 ? "item-0" : "item-" + std::to_string(i);  // 25 repeats 0's unique name
          results[i] = co_await db_->Execute("INSERT INTO items (name, qty) VALUES (?, ?)", Args(name, i));
        },
        asio::detached);
  }
  io.run();
  int failures = 0;
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(results[i].has_value()) << i;
    if (!results[i]->ok()) {
      ++failures;
      EXPECT_EQ(results[i]->error().code, ErrorCode::kConflict);
    }
  }
  EXPECT_EQ(failures, 1);
  Run([&]() -> Task<void> {
    auto rows = co_await db_->Query("SELECT COUNT(*) FROM items");
    EXPECT_EQ(rows->Int(0, 0), 49);
  });
}

TEST_F(SqliteDatabaseTest, WriteAllCommitsEveryStatementOrNone) {
  Run([&]() -> Task<void> {
    std::vector<Statement> both = {{"INSERT INTO items (name, qty) VALUES (?, 1)", Args("a")},
                                   {"INSERT INTO items (name, qty) VALUES (?, 2)", Args("b")}};
    EXPECT_TRUE((co_await db_->WriteAll(both)).ok());
    std::vector<Statement> second_fails = {{"INSERT INTO items (name, qty) VALUES (?, 3)", Args("c")},
                                           {"INSERT INTO items (name, qty) VALUES (?, 4)", Args("a")}};
    auto refused = co_await db_->WriteAll(second_fails);
    EXPECT_EQ(refused.error().code, ErrorCode::kConflict);
    auto rows = co_await db_->Query("SELECT COUNT(*) FROM items");
    EXPECT_EQ(rows->Int(0, 0), 2);
  });
}

TEST_F(SqliteDatabaseTest, WaitsForAConnectionThenTimesOut) {
  // Both connections are held by open transactions; a third caller waits and gives up with kOverloaded.
  asio::io_context& io = io_;
  std::optional<ErrorCode> third;
  auto hold = [&]() -> Task<void> {
    (void)co_await db_->Transaction([&](Session& s) -> Task<Result<void>> {
      (void)co_await s.Query("SELECT 1");
      asio::steady_timer wait(co_await asio::this_coro::executor, std::chrono::milliseconds(500));
      co_await wait.async_wait(asio::use_awaitable);
      co_return Ok();
    });
  };
  asio::co_spawn(io, hold(), asio::detached);
  asio::co_spawn(io, hold(), asio::detached);
  asio::co_spawn(
      io,
      [&]() -> Task<void> {
        asio::steady_timer settle(co_await asio::this_coro::executor, std::chrono::milliseconds(50));
        co_await settle.async_wait(asio::use_awaitable);
        auto rows = co_await db_->Query("SELECT 1");
        third = rows.ok() ? std::nullopt : std::optional(rows.error().code);
      },
      asio::detached);
  io.run();
  ASSERT_TRUE(third.has_value());
  EXPECT_EQ(*third, ErrorCode::kOverloaded);
}

}  // namespace
}  // namespace keel::sql
