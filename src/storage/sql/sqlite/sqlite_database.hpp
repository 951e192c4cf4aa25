// The SQLite backend of Database: a fixed set of connections, leased to one coroutine at a time, whose
// statements run on a dedicated blocking pool (one thread per connection), plus one writer connection that
// group-commits single-statement writes (Execute).
//
// Thread safety: as Database. A leased connection moves between pool threads, never used by two at once.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/blocking_pool.hpp"
#include "core/metrics.hpp"
#include "storage/sql/database.hpp"
#include "storage/sql/pool_metrics.hpp"
#include "storage/sql/sqlite/group_committer.hpp"
#include "storage/sql/sqlite/sqlite_connection.hpp"

namespace keel::sql {

struct SqliteOptions {
  std::string path;
  int pool_size = 4;
  int busy_timeout_ms = 5000;
  std::chrono::milliseconds acquire_timeout{2000};
  std::size_t queue_limit = 1024;
};

class SqliteDatabase final : public Database {
 public:
  static Result<std::unique_ptr<SqliteDatabase>> Open(const SqliteOptions& options, Metrics& metrics);
  ~SqliteDatabase() override;

  std::string_view Backend() const override { return "sqlite"; }
  Task<Result<Rows>> Query(std::string sql, Params params) override;
  Task<Result<std::int64_t>> Execute(std::string sql, Params params) override;
  Task<Result<Rows>> Write(std::string sql, Params params) override;
  Task<Result<void>> WriteAll(std::vector<Statement> statements) override;
  Task<Result<void>> Transaction(std::function<Task<Result<void>>(Session&)> body) override;
  Task<Result<void>> Ping() override;
  Result<MigrationReport> Migrate(const std::vector<Migration>& migrations) override;

 private:
  class Lease;
  class TransactionSession;
  struct Waiter;

  SqliteDatabase(const SqliteOptions& options, Metrics& metrics);
  Task<Result<SqliteConnection*>> Acquire();
  void Release(SqliteConnection* connection);
  Task<Result<Rows>> RunOn(SqliteConnection* connection, std::string sql, Params params);
  void UpdateGauges();  // REQUIRES: mutex_ held
  void RunCheckpoints();

  const SqliteOptions options_;
  BlockingPool pool_;
  std::unique_ptr<GroupCommitter> writer_;  // single-statement writes (Execute)
  // WAL checkpoints run here, off the commit path: committing connections never checkpoint (autocheckpoint
  // off), so a commit never waits for a checkpoint's fsync.
  std::unique_ptr<SqliteConnection> checkpoint_connection_;
  std::thread checkpointer_;
  std::mutex checkpoint_mutex_;
  std::condition_variable checkpoint_wake_;
  bool stopping_ = false;  // GUARDED_BY(checkpoint_mutex_)
  std::vector<std::unique_ptr<SqliteConnection>> connections_;
  std::mutex mutex_;
  std::vector<SqliteConnection*> idle_;          // GUARDED_BY(mutex_)
  std::deque<std::shared_ptr<Waiter>> waiters_;  // GUARDED_BY(mutex_)
  PoolMetrics pool_metrics_;
};

}  // namespace keel::sql
