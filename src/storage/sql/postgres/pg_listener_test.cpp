// Tests of PgListener against a real server: they run when KEEL_TEST_PG_DIRECT_URL names one (`make test`
// starts PostgreSQL and pgBouncer with `keel cluster`) and are skipped otherwise.
#include "storage/sql/postgres/pg_listener.hpp"

#include <unistd.h>

#include <condition_variable>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include "core/eventually.hpp"
#include "storage/sql/postgres/test_database.hpp"

namespace keel::sql {
namespace {

// One statement on a connection of its own; the first column of the first row, or "".
std::string RunOnce(const std::string& url, const std::string& sql) {
  std::unique_ptr<PGconn, void (*)(PGconn*)> conn(PQconnectdb(url.c_str()), PQfinish);
  EXPECT_EQ(PQstatus(conn.get()), CONNECTION_OK) << PQerrorMessage(conn.get());
  std::unique_ptr<PGresult, void (*)(PGresult*)> result(PQexec(conn.get(), sql.c_str()), PQclear);
  auto status = PQresultStatus(result.get());
  EXPECT_TRUE(status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK) << PQerrorMessage(conn.get());
  return PQntuples(result.get()) > 0 ? PQgetvalue(result.get(), 0, 0) : "";
}

class PostgresListenerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    direct_url_ = TestEnv("KEEL_TEST_PG_DIRECT_URL");
    if (direct_url_.empty()) GTEST_SKIP() << "KEEL_TEST_PG_DIRECT_URL is not set";
    pooled_url_ = TestEnv("KEEL_TEST_PG_URL");
    if (pooled_url_.empty()) pooled_url_ = direct_url_;
    channel_ = fmt::format("keel_test_{}", ::getpid());
    listener_ = std::make_unique<PgListener>(direct_url_, channel_, [this](const std::string& payload) {
      std::lock_guard lock(mutex_);
      if (payload.empty())
        ++connects_;
      else
        received_.push_back(payload);
    });
    ASSERT_TRUE(Eventually([&] { return listener_->Listening() && Connects() == 1; }));
  }

  std::vector<std::string> Received() {
    std::lock_guard lock(mutex_);
    return received_;
  }
  // The empty-payload calls: one per (re)connect.
  int Connects() {
    std::lock_guard lock(mutex_);
    return connects_;
  }

  std::string direct_url_, pooled_url_, channel_;
  std::mutex mutex_;
  std::vector<std::string> received_;
  int connects_ = 0;
  std::unique_ptr<PgListener> listener_;
};

TEST_F(PostgresListenerTest, DeliversNotificationsSentThroughPgbouncer) {
  // Sending needs no session of its own: it works through transaction pooling.
  RunOnce(pooled_url_, fmt::format("SELECT pg_notify('{}', 'default')", channel_));
  RunOnce(pooled_url_, fmt::format("SELECT pg_notify('{}', 'priority')", channel_));
  ASSERT_TRUE(Eventually([&] { return Received().size() == 2; }));
  EXPECT_EQ(Received(), (std::vector<std::string>{"default", "priority"}));
}

TEST_F(PostgresListenerTest, RolledBackNotificationsAreNeverDelivered) {
  RunOnce(pooled_url_, fmt::format("BEGIN; SELECT pg_notify('{}', 'lost'); ROLLBACK", channel_));
  RunOnce(pooled_url_, fmt::format("SELECT pg_notify('{}', 'kept')", channel_));
  ASSERT_TRUE(Eventually([&] { return !Received().empty(); }));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(Received(), (std::vector<std::string>{"kept"}));
}

TEST_F(PostgresListenerTest, ListensAgainAfterTheServerDropsItsConnection) {
  std::string terminated =
      RunOnce(direct_url_, fmt::format("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = "
                                       "'LISTEN \"{}\"'",
                                       channel_));
  ASSERT_EQ(terminated, "t");
  ASSERT_TRUE(Eventually([&] { return !listener_->Listening(); }));
  // Back, and says so: what was sent in between is lost, so the caller should look for itself.
  ASSERT_TRUE(Eventually([&] { return listener_->Listening() && Connects() == 2; }));
  RunOnce(pooled_url_, fmt::format("SELECT pg_notify('{}', 'after')", channel_));
  ASSERT_TRUE(Eventually([&] { return !Received().empty(); }));
  EXPECT_EQ(Received(), (std::vector<std::string>{"after"}));
}

TEST(PostgresListenerStop, StopsPromptlyWhileTheServerIsUnreachable) {
  std::atomic<int> calls{0};
  auto started = std::chrono::steady_clock::now();
  {
    // Port 1 on loopback refuses at once: the listener sits in its back-off.
    PgListener listener("postgres://keel@127.0.0.1:1/keel", "nobody", [&](const std::string&) { ++calls; });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_FALSE(listener.Listening());
  }  // the destructor stops the back-off at once
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2));
  EXPECT_EQ(calls.load(), 0);
}

}  // namespace
}  // namespace keel::sql
