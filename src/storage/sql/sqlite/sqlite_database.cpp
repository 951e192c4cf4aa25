// SqliteDatabase: asynchronous connection leasing, statements on the pool, transactions and migrations.
#include "storage/sql/sqlite/sqlite_database.hpp"
#include "storage/sql/transaction.hpp"

#include <utility>

#include <fmt/format.h>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/log.hpp"

namespace keel::sql {

namespace asio = boost::asio;

constexpr auto kCheckpointPeriod = std::chrono::milliseconds(500);

// A coroutine waiting for a connection. `done` (under mutex_) makes sure exactly one of release and timeout
// completes it; both completions run on the waiter's own executor, where its timer lives.
struct SqliteDatabase::Waiter {
  asio::any_io_executor executor;
  std::function<void(SqliteConnection*)> resume;  // resumes the waiting coroutine
  std::unique_ptr<asio::steady_timer> timer;
  bool done = false;

  // Resumes the waiter on its executor with a connection, or nullptr on timeout. The posted task owns the
  // waiter.
  static void Wake(std::shared_ptr<Waiter> waiter, SqliteConnection* connection) {
    auto executor = waiter->executor;
    asio::post(executor, [waiter = std::move(waiter), connection] {
      waiter->timer->cancel();
      waiter->resume(connection);
    });
  }
};

// Returns the connection when the coroutine is done with it, rolling back anything left open.
class SqliteDatabase::Lease {
 public:
  Lease(SqliteDatabase& db, SqliteConnection* connection) : db_(db), connection_(connection) {}
  ~Lease() {
    // A transaction can only be left open when ROLLBACK itself could not be scheduled; undo it here, inline,
    // because handing an open transaction to the next user would be far worse than one short blocking call.
    if (connection_->InTransaction()) (void)connection_->Exec("ROLLBACK");
    db_.Release(connection_);
  }
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;

 private:
  SqliteDatabase& db_;
  SqliteConnection* connection_;
};

class SqliteDatabase::TransactionSession final : public Session {
 public:
  TransactionSession(SqliteDatabase& db, SqliteConnection* connection) : db_(db), connection_(connection) {}
  Task<Result<Rows>> Query(std::string sql, Params params) override {
    co_return co_await db_.RunOn(connection_, std::move(sql), std::move(params));
  }
  Task<Result<std::int64_t>> Execute(std::string sql, Params params) override {
    auto rows = co_await db_.RunOn(connection_, std::move(sql), std::move(params));
    if (!rows) co_return std::move(rows).error();
    co_return rows->affected;
  }

 private:
  SqliteDatabase& db_;
  SqliteConnection* connection_;
};

SqliteDatabase::SqliteDatabase(const SqliteOptions& options, Metrics& metrics)
    : options_(options),
      pool_("sqlite", static_cast<std::size_t>(options.pool_size), options.queue_limit, metrics),
      pool_metrics_(metrics) {}

SqliteDatabase::~SqliteDatabase() {
  if (writer_) writer_->Stop();
  pool_.Stop();
  {
    std::lock_guard lock(checkpoint_mutex_);
    stopping_ = true;
  }
  checkpoint_wake_.notify_all();
  if (checkpointer_.joinable()) checkpointer_.join();
  // A final full checkpoint keeps the WAL from outliving the process.
  if (checkpoint_connection_) (void)checkpoint_connection_->Exec("PRAGMA wal_checkpoint(TRUNCATE)");
}

Result<std::unique_ptr<SqliteDatabase>> SqliteDatabase::Open(const SqliteOptions& options, Metrics& metrics) {
  std::unique_ptr<SqliteDatabase> db(new SqliteDatabase(options, metrics));
  for (int i = 0; i < options.pool_size; ++i) {
    auto connection = SqliteConnection::Open(options.path, options.busy_timeout_ms);
    if (!connection) return std::move(connection).error();
    db->idle_.push_back(connection->get());
    db->connections_.push_back(std::move(connection).value());
  }
  auto writer = SqliteConnection::Open(options.path, options.busy_timeout_ms);
  if (!writer) return std::move(writer).error();
  db->writer_ = std::make_unique<GroupCommitter>(std::move(writer).value(), options.queue_limit, metrics);
  auto checkpoint = SqliteConnection::Open(options.path, options.busy_timeout_ms);
  if (!checkpoint) return std::move(checkpoint).error();
  db->checkpoint_connection_ = std::move(checkpoint).value();
  db->checkpointer_ = std::thread([raw = db.get()] { raw->RunCheckpoints(); });
  std::lock_guard lock(db->mutex_);
  db->UpdateGauges();
  return db;
}

void SqliteDatabase::RunCheckpoints() {
  std::unique_lock lock(checkpoint_mutex_);
  while (!checkpoint_wake_.wait_for(lock, kCheckpointPeriod, [this] { return stopping_; })) {
    lock.unlock();
    // PASSIVE never blocks readers or writers; it copies what it can and leaves the rest for next time.
    (void)checkpoint_connection_->Exec("PRAGMA wal_checkpoint(PASSIVE)");
    lock.lock();
  }
}

void SqliteDatabase::UpdateGauges() {
  pool_metrics_.Set(idle_.size(), connections_.size() - idle_.size(), waiters_.size());
}

Task<Result<SqliteConnection*>> SqliteDatabase::Acquire() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      SqliteConnection* connection = idle_.back();
      idle_.pop_back();
      UpdateGauges();
      co_return connection;
    }
  }
  auto executor = co_await asio::this_coro::executor;
  auto initiate = [this, executor](auto handler) {
    auto shared_handler = std::make_shared<decltype(handler)>(std::move(handler));
    auto waiter = std::make_shared<Waiter>();
    waiter->executor = executor;
    waiter->timer = std::make_unique<asio::steady_timer>(executor, options_.acquire_timeout);
    waiter->resume = [shared_handler](SqliteConnection* connection) { (*shared_handler)(connection); };
    {
      std::unique_lock lock(mutex_);
      if (!idle_.empty()) {
        SqliteConnection* connection = idle_.back();
        idle_.pop_back();
        waiter->done = true;
        UpdateGauges();
        lock.unlock();
        Waiter::Wake(std::move(waiter), connection);
        return;
      }
      waiters_.push_back(waiter);
      UpdateGauges();
    }
    waiter->timer->async_wait([this, waiter](const boost::system::error_code&) {
      std::unique_lock lock(mutex_);
      if (waiter->done) return;
      waiter->done = true;
      std::erase(waiters_, waiter);
      UpdateGauges();
      lock.unlock();
      pool_metrics_.AcquireTimedOut();
      Waiter::Wake(waiter, nullptr);
    });
  };
  SqliteConnection* connection =
      co_await asio::async_initiate<const asio::use_awaitable_t<>&, void(SqliteConnection*)>(
          std::move(initiate), asio::use_awaitable);
  if (connection == nullptr)
    co_return Error{ErrorCode::kOverloaded, fmt::format("no database connection became free within {} ms",
                                                        options_.acquire_timeout.count())};
  co_return connection;
}

void SqliteDatabase::Release(SqliteConnection* connection) {
  std::unique_lock lock(mutex_);
  while (!waiters_.empty()) {
    auto waiter = std::move(waiters_.front());
    waiters_.pop_front();
    if (waiter->done) continue;
    waiter->done = true;
    UpdateGauges();
    lock.unlock();
    Waiter::Wake(std::move(waiter), connection);
    return;
  }
  idle_.push_back(connection);
  UpdateGauges();
}

Task<Result<Rows>> SqliteDatabase::RunOn(SqliteConnection* connection, std::string sql, Params params) {
  co_return co_await RunBlocking(pool_, [&]() { return connection->Run(sql, params); });
}

Task<Result<Rows>> SqliteDatabase::Query(std::string sql, Params params) {
  auto connection = co_await Acquire();
  if (!connection) co_return std::move(connection).error();
  Lease lease(*this, *connection);
  co_return co_await RunOn(*connection, std::move(sql), std::move(params));
}

Task<Result<std::int64_t>> SqliteDatabase::Execute(std::string sql, Params params) {
  auto rows = co_await writer_->Write(std::move(sql), std::move(params));
  if (!rows) co_return std::move(rows).error();
  co_return rows->affected;
}

Task<Result<Rows>> SqliteDatabase::Write(std::string sql, Params params) {
  co_return co_await writer_->Write(std::move(sql), std::move(params));
}

Task<Result<void>> SqliteDatabase::WriteAll(std::vector<Statement> statements) {
  co_return co_await writer_->WriteAll(std::move(statements));
}

Task<Result<void>> SqliteDatabase::Transaction(std::function<Task<Result<void>>(Session&)> body) {
  auto acquired = co_await Acquire();
  if (!acquired) co_return std::move(acquired).error();
  SqliteConnection* connection = *acquired;
  Lease lease(*this, connection);
  TransactionSession session(*this, connection);
  // When ROLLBACK is refused, ~Lease rolls back.
  co_return co_await RunTransaction(
      "BEGIN IMMEDIATE",
      [this, connection](const char* sql) {
        return RunBlocking(pool_, [connection, sql] { return connection->Exec(sql); });
      },
      session, body);
}

Task<Result<void>> SqliteDatabase::Ping() {
  auto rows = co_await Query("SELECT 1", {});
  if (!rows) co_return std::move(rows).error();
  co_return Ok();
}

Result<MigrationReport> SqliteDatabase::Migrate(const std::vector<Migration>& migrations) {
  SqliteConnection* connection = nullptr;
  {
    std::lock_guard lock(mutex_);
    if (idle_.empty()) return Error{ErrorCode::kUnavailable, "migrations need an idle connection"};
    connection = idle_.back();
    idle_.pop_back();
  }
  struct Return {
    SqliteDatabase& db;
    SqliteConnection* c;
    ~Return() { db.Release(c); }
  } give_back{*this, connection};

  auto created = connection->Exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
      "applied_at TEXT NOT NULL)");
  if (!created) return created.error();
  auto applied_rows = connection->Run("SELECT version FROM schema_migrations", {});
  if (!applied_rows) return std::move(applied_rows).error();
  std::set<std::int64_t> applied;
  for (std::size_t i = 0; i < applied_rows->rows.size(); ++i) applied.insert(*applied_rows->Int(i, 0));

  auto pending = PendingMigrations(migrations, applied);
  if (!pending) return std::move(pending).error();
  MigrationReport report;
  for (const auto& migration : *pending) {
    if (auto begun = connection->Exec("BEGIN IMMEDIATE"); !begun) return begun.error();
    // Another process may have applied it between our read and our lock.
    auto already = connection->Run("SELECT 1 FROM schema_migrations WHERE version = ?", {migration.version});
    if (already && !already->empty()) {
      (void)connection->Exec("ROLLBACK");
      continue;
    }
    auto applied_now = connection->Exec(migration.sql);
    if (applied_now) {
      auto recorded = connection->Run(
          "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, "
          "strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
          {migration.version, migration.name});
      if (!recorded) applied_now = recorded.error();
    }
    if (applied_now) applied_now = connection->Exec("COMMIT");
    if (!applied_now) {
      (void)connection->Exec("ROLLBACK");
      return Error{applied_now.error().code, fmt::format("migration {} failed: {}", MigrationLabel(migration),
                                                         applied_now.error().message)};
    }
    report.applied.push_back(MigrationLabel(migration));
    log::Info("migration applied",
              log::Fields().Add("migration", MigrationLabel(migration)).Add("module", migration.module));
  }
  auto current = connection->Run("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", {});
  if (current && !current->empty()) report.current_version = current->Int(0, 0).value_or(0);
  return report;
}

}  // namespace keel::sql
