// The PostgreSQL backend of Database: a pool of non-blocking libpq connections, awaited on the callers' IO
// threads, usually through pgBouncer in transaction mode (so: unnamed statements only, no session state).
//
// The pool (seed 001's knobs): at least min_connections kept open, at most max_connections; a caller waits at
// most acquire_timeout for one (then kOverloaded: 503 with Retry-After); a connection idle for longer than
// validate_after_idle answers a `SELECT 1` before it is handed out; one older than max_lifetime is closed and
// replaced; one that broke (server restart, timeout) is dropped and a new one opened on demand, so the pool
// recovers from a database restart without a Keel restart.
//
// Thread safety: as Database. A connection is leased to one coroutine at a time.
#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/metrics.hpp"
#include "storage/sql/database.hpp"
#include "storage/sql/pool_metrics.hpp"
#include "storage/sql/postgres/pg_connection.hpp"

namespace keel::sql {

struct PostgresOptions {
  std::string url{};         // postgres://user:password@host:port/db (pgBouncer when scaled out)
  std::string direct_url{};  // straight to PostgreSQL, for migrations; empty means url
  int min_connections = 2;
  int max_connections = 16;
  std::chrono::milliseconds acquire_timeout{2000};
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds statement_timeout{30000};  // client-side: the connection is dropped after it
  std::chrono::milliseconds validate_after_idle{30000};
  std::chrono::milliseconds max_lifetime{30 * 60 * 1000};
};

class PostgresDatabase final : public Database {
 public:
  struct Grant;  // a connection, or the right to open one
  // Starts the pool's reactor and opens min_connections (failing when the first cannot be opened).
  static Result<std::unique_ptr<PostgresDatabase>> Open(const PostgresOptions& options, Metrics& metrics);
  // REQUIRES: no statement in flight.
  ~PostgresDatabase() override;

  std::string_view Backend() const override { return "postgres"; }
  Task<Result<Rows>> Query(std::string sql, Params params) override;
  Task<Result<std::int64_t>> Execute(std::string sql, Params params) override;
  Task<Result<Rows>> Write(std::string sql, Params params) override;
  Task<Result<std::int64_t>> Insert(std::string sql, Params params) override;
  Task<Result<void>> Transaction(std::function<Task<Result<void>>(Session&)> body) override;
  Task<Result<void>> Ping() override;
  Result<MigrationReport> Migrate(const std::vector<Migration>& migrations) override;

 private:
  class Lease;
  class TransactionSession;
  struct Waiter;
  struct Reactor;        // the io_context watching the sockets, and its thread
  struct GroupedInsert;  // one caller's Insert, waiting for its group

  PostgresDatabase(const PostgresOptions& options, Metrics& metrics);
  Task<Result<std::unique_ptr<PgConnection>>> Acquire();
  Task<Grant> AwaitGrant();
  Task<Result<std::unique_ptr<PgConnection>>> OpenConnection();
  // Whether an idle connection may be handed out; names why not in `reason`.
  Task<bool> Validate(PgConnection& connection, std::string& reason);
  void Release(std::unique_ptr<PgConnection> connection);
  void Drop(std::unique_ptr<PgConnection> connection, const std::string& reason);
  void CountClosed(const std::string& reason);
  void HandOver(Grant grant);  // to the first waiter, else back to the pool
  Task<Result<Rows>> RunLeased(std::string sql, Params params);
  void NoteAnswered();    // the server answered a statement: /ready may trust the database for a while
  Task<void> Maintain();  // keeps min_connections open and closes aged or dead idle ones
  // Runs a group of inserts led by `leader` (with those waiting now), then hands the lead to the next waiter.
  Task<void> LeadInsertGroup(std::shared_ptr<GroupedInsert> leader);
  // Sets every member's outcome: one pipeline and one commit, or each on its own after one of them failed.
  Task<void> RunInsertGroup(const std::vector<std::shared_ptr<GroupedInsert>>& group);
  void UpdateGauges();  // REQUIRES: mutex_ held

  const PostgresOptions options_;
  std::unique_ptr<Reactor> reactor_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<PgConnection>> idle_;  // GUARDED_BY(mutex_); most recently used last
  int open_ = 0;                                     // GUARDED_BY(mutex_); idle, leased or being opened
  std::deque<std::shared_ptr<Waiter>> waiters_;      // GUARDED_BY(mutex_)
  bool stopping_ = false;                            // GUARDED_BY(mutex_)
  std::deque<std::shared_ptr<GroupedInsert>> inserts_waiting_;  // GUARDED_BY(mutex_)
  int insert_groups_running_ = 0;                               // GUARDED_BY(mutex_): at most max_connections
  std::atomic<std::int64_t> last_success_ms_{0};  // steady clock: when the server last answered a statement
  PoolMetrics pool_metrics_;
  prometheus::Counter& connect_failures_;
  prometheus::Family<prometheus::Counter>& closed_;
  prometheus::Counter& insert_groups_;
  prometheus::Counter& grouped_inserts_;
};

// Gives the connection back when the coroutine is done with it.
class PostgresDatabase::Lease {
 public:
  Lease(PostgresDatabase& db, std::unique_ptr<PgConnection> connection)
      : db_(db), connection_(std::move(connection)) {}
  ~Lease() { db_.Release(std::move(connection_)); }
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  PgConnection& operator*() { return *connection_; }
  PgConnection* operator->() { return connection_.get(); }

 private:
  PostgresDatabase& db_;
  std::unique_ptr<PgConnection> connection_;
};

}  // namespace keel::sql
