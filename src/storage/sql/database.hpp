// The SQL store every component uses; one interface, a backend per URL scheme (sqlite://, postgres://).
//
// Thread safety: a Database is safe to use from every IO thread at once. Statements are parameterized only
// (? placeholders); nothing builds SQL from input. Calls never block the calling IO thread.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/async.hpp"
#include "core/result.hpp"
#include "storage/sql/migrations.hpp"
#include "storage/sql/value.hpp"

namespace keel {
class Config;
class Metrics;
}  // namespace keel

namespace keel::sql {

// Statements inside one transaction, all on one connection. Valid only inside the transaction's body.
class Session {
 public:
  virtual ~Session() = default;
  virtual Task<Result<Rows>> Query(std::string sql, Params params = {}) = 0;
  // Returns the number of rows changed.
  virtual Task<Result<std::int64_t>> Execute(std::string sql, Params params = {}) = 0;
};

class Database {
 public:
  virtual ~Database() = default;

  virtual std::string_view Backend() const = 0;

  // One statement in its own implicit transaction.
  virtual Task<Result<Rows>> Query(std::string sql, Params params = {}) = 0;
  virtual Task<Result<std::int64_t>> Execute(std::string sql, Params params = {}) = 0;
  // One write statement in its own transaction, returning its rows (INSERT/UPDATE ... RETURNING) and counts.
  // Like Execute, committed (durably) before it returns.
  virtual Task<Result<Rows>> Write(std::string sql, Params params = {}) = 0;

  // One INSERT of new rows, committed (durably) before it returns; the number of rows inserted. Unlike
  // Execute, a backend may commit it in one transaction with other callers' inserts: PostgreSQL sends the
  // inserts waiting at that moment in one round trip and one commit (an insert that fails is then retried on
  // its own, so it fails alone). Only for statements that take no locks other inserts could wait on in
  // another order: plain INSERTs of new rows. The default is Execute.
  virtual Task<Result<std::int64_t>> Insert(std::string sql, Params params);

  // Several write statements in one transaction: all committed (durably) before it returns, or none. The
  // default runs them through Transaction; SQLite puts them in its next group commit.
  virtual Task<Result<void>> WriteAll(std::vector<Statement> statements);

  // Runs body as one write transaction: committed when body returns ok, rolled back when it fails or throws.
  // SQLite takes the write lock at BEGIN (BEGIN IMMEDIATE) so the transaction cannot fail half-way on a lock.
  virtual Task<Result<void>> Transaction(std::function<Task<Result<void>>(Session&)> body) = 0;

  // A cheap round trip, for /ready.
  virtual Task<Result<void>> Ping() = 0;

  // Applies pending migrations, each in its own transaction. Blocking: for start-up and `keel migrate`.
  virtual Result<MigrationReport> Migrate(const std::vector<Migration>& migrations) = 0;
};

// Opens the backend named by database.url.
Result<std::unique_ptr<Database>> OpenDatabase(const Config& config, Metrics& metrics);

// Delivers the database's notifications on one channel while it lives (PostgreSQL LISTEN).
class NotificationListener {
 public:
  virtual ~NotificationListener() = default;
  virtual bool Listening() const = 0;
  // Ends the callbacks without waiting for the listener's thread (its destructor joins it).
  virtual void RequestStop() = 0;
};

// Calls on_notify(payload) from a thread of its own for every notification on `channel`, and with an empty
// payload after every (re)connect, when notifications may have been missed. Null when the
// backend has none (SQLite: one process) or database.direct_url is not set (a LISTEN needs a session of its
// own, which pgBouncer's transaction pooling does not keep).
std::unique_ptr<NotificationListener> ListenForNotifications(
    const Config& config, std::string channel, std::function<void(const std::string&)> on_notify);

}  // namespace keel::sql
