// PostgresDatabase: the connection pool, statements and transactions on leased connections.
#include "storage/sql/postgres/postgres_database.hpp"
#include "storage/sql/transaction.hpp"

#include <future>
#include <optional>
#include <utility>

#include <fmt/format.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/log.hpp"
#include "storage/sql/postgres/pg_migrator.hpp"

namespace keel::sql {

namespace asio = boost::asio;

constexpr auto kMaintenancePeriod = std::chrono::seconds(1);

struct PostgresDatabase::Reactor {
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  asio::steady_timer maintenance_timer{io};
  std::promise<void> maintenance_done;
  std::thread thread;
};

struct PostgresDatabase::Grant {
  std::unique_ptr<PgConnection> connection;
  bool may_open = false;  // no connection, but a free place in the pool: open one
};

namespace {

// A place in the pool given up by a dropped connection or a failed open: the next waiter opens one in it.
PostgresDatabase::Grant FreePlace() { return {nullptr, true}; }

// Built outside coroutines: g++ 12 mishandles aggregates of non-trivial members inside them.
PostgresDatabase::Grant Handing(std::unique_ptr<PgConnection> connection) {
  return {std::move(connection), false};
}

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Readiness trusts a statement that succeeded this recently instead of taking a connection: under full load a
// probe waiting for the pool would report the instance unready exactly when it is busiest.
constexpr std::int64_t kRecentSuccessMs = 2000;
}  // namespace

// A coroutine waiting for a connection. `done` (under mutex_) makes sure exactly one of a hand-over and the
// timeout completes it; the timer lives on the reactor.
struct PostgresDatabase::Waiter {
  std::function<void()> resume;  // resumes the waiting coroutine on its own executor
  std::unique_ptr<asio::steady_timer> timer;
  bool done = false;  // GUARDED_BY(mutex_)
  Grant grant;        // written before resume is called; empty on timeout

  // Calls resume once and lets it go: it holds the caller's io_context as outstanding work.
  static void Resume(Waiter& waiter) {
    auto resume = std::move(waiter.resume);
    resume();
  }
};

class PostgresDatabase::TransactionSession final : public Session {
 public:
  TransactionSession(PgConnection& connection, std::chrono::milliseconds timeout)
      : connection_(connection), timeout_(timeout) {}
  Task<Result<Rows>> Query(std::string sql, Params params) override {
    co_return co_await connection_.Run(sql, params, timeout_);
  }
  Task<Result<std::int64_t>> Execute(std::string sql, Params params) override {
    auto rows = co_await connection_.Run(sql, params, timeout_);
    if (!rows) co_return std::move(rows).error();
    co_return rows->affected;
  }

 private:
  PgConnection& connection_;
  std::chrono::milliseconds timeout_;
};

PostgresDatabase::PostgresDatabase(const PostgresOptions& options, Metrics& metrics)
    : options_(options),
      reactor_(std::make_unique<Reactor>()),
      pool_metrics_(metrics),
      connect_failures_(prometheus::BuildCounter()
                            .Name("keel_db_connect_failures_total")
                            .Help("Attempts to open a PostgreSQL connection that failed.")
                            .Register(metrics.registry())
                            .Add({})),
      closed_(prometheus::BuildCounter()
                  .Name("keel_db_connections_closed_total")
                  .Help("PostgreSQL connections the pool closed, by reason.")
                  .Register(metrics.registry())),
      insert_groups_(prometheus::BuildCounter()
                         .Name("keel_db_insert_groups_total")
                         .Help("Groups of inserts sent in one round trip and committed together.")
                         .Register(metrics.registry())
                         .Add({})),
      grouped_inserts_(prometheus::BuildCounter()
                           .Name("keel_db_grouped_inserts_total")
                           .Help("Inserts written in groups (divided by the groups: the mean group size).")
                           .Register(metrics.registry())
                           .Add({})) {
  prometheus::BuildGauge()
      .Name("keel_db_pool_max_connections")
      .Help("Most SQL connections the pool opens.")
      .Register(metrics.registry())
      .Add({})
      .Set(options.max_connections);
}

Result<std::unique_ptr<PostgresDatabase>> PostgresDatabase::Open(const PostgresOptions& options,
                                                                 Metrics& metrics) {
  std::unique_ptr<PostgresDatabase> db(new PostgresDatabase(options, metrics));
  Reactor& reactor = *db->reactor_;
  reactor.thread = std::thread([&reactor] { reactor.io.run(); });

  // The first connection proves the URL and the credentials before anything else starts.
  std::promise<Result<std::unique_ptr<PgConnection>>> first;
  auto opened = first.get_future();
  {
    std::lock_guard lock(db->mutex_);
    ++db->open_;
  }
  auto open_first = [](PostgresDatabase* pool,
                       std::promise<Result<std::unique_ptr<PgConnection>>>* out) -> Task<void> {
    auto opened = co_await pool->OpenConnection();
    out->set_value(std::move(opened));
  };
  asio::co_spawn(reactor.io, open_first(db.get(), &first), [&first](std::exception_ptr failure) {
    if (failure) first.set_value(Error{ErrorCode::kInternal, "opening a PostgreSQL connection threw"});
  });
  auto connection = opened.get();
  if (!connection) {
    {
      std::lock_guard lock(db->mutex_);
      --db->open_;
    }
    reactor.maintenance_done.set_value();  // never started; the destructor waits for it
    return std::move(connection).error();
  }
  db->HandOver(Handing(std::move(connection).value()));

  asio::co_spawn(reactor.io, db->Maintain(),
                 [&reactor](std::exception_ptr) { reactor.maintenance_done.set_value(); });
  return db;
}

PostgresDatabase::~PostgresDatabase() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  Reactor& reactor = *reactor_;
  if (reactor.thread.joinable()) {
    auto maintenance_stopped = reactor.maintenance_done.get_future();
    asio::post(reactor.io, [&reactor] { reactor.maintenance_timer.cancel(); });
    maintenance_stopped.wait();
    {
      std::lock_guard lock(mutex_);
      idle_.clear();  // closes them while the reactor still runs (their sockets are registered there)
    }
    reactor.work.reset();
    reactor.io.stop();
    reactor.thread.join();
  }
}

void PostgresDatabase::UpdateGauges() {
  pool_metrics_.Set(idle_.size(), static_cast<std::size_t>(open_) - idle_.size(), waiters_.size());
}

Task<Result<std::unique_ptr<PgConnection>>> PostgresDatabase::OpenConnection() {
  auto connection = co_await PgConnection::Connect(reactor_->io, options_.url, options_.connect_timeout);
  if (!connection) {
    connect_failures_.Increment();
    log::Warn("postgres connect failed", log::Fields().Add("error", connection.error().message));
    // The detail (host, port, the server's words) is for the log: it would reach clients in a 503's detail.
    co_return Error{connection.error().code, "cannot connect to the database"};
  }
  co_return connection;
}

Task<bool> PostgresDatabase::Validate(PgConnection& connection, std::string& reason) {
  auto now = PgConnection::Clock::now();
  if (now - connection.opened_at() > options_.max_lifetime) {
    reason = "max_lifetime";
    co_return false;
  }
  if (!connection.StillOpen()) {
    reason = "closed_by_server";
    co_return false;
  }
  if (now - connection.last_used() > options_.validate_after_idle) {
    const Params none;
    auto answered = co_await connection.Run("SELECT 1", none, options_.connect_timeout);
    if (!answered) {
      reason = "failed_validation";
      co_return false;
    }
  }
  co_return true;
}

Task<PostgresDatabase::Grant> PostgresDatabase::AwaitGrant() {
  auto waiter = std::make_shared<Waiter>();
  const std::function<void(std::function<void()>)> start = [this, waiter](std::function<void()> done) {
    waiter->resume = std::move(done);
    waiter->timer = std::make_unique<asio::steady_timer>(reactor_->io, options_.acquire_timeout);
    // Armed before the waiter is published, under the mutex: a hand-over cancels the timer on the reactor,
    // and that must come after this async_wait.
    std::lock_guard lock(mutex_);
    waiter->timer->async_wait([this, waiter](const boost::system::error_code&) {
      {
        std::lock_guard lock(mutex_);
        if (waiter->done) return;
        waiter->done = true;
        std::erase(waiters_, waiter);
        UpdateGauges();
      }
      Waiter::Resume(*waiter);
    });
    waiters_.push_back(waiter);
    UpdateGauges();
  };
  co_await detail::AwaitSignal(start);
  co_return std::move(waiter->grant);
}

void PostgresDatabase::HandOver(Grant grant) {
  std::unique_lock lock(mutex_);
  while (!waiters_.empty()) {
    auto waiter = std::move(waiters_.front());
    waiters_.pop_front();
    if (waiter->done) continue;
    waiter->done = true;
    waiter->grant = std::move(grant);
    UpdateGauges();
    lock.unlock();
    asio::post(reactor_->io, [waiter] { waiter->timer->cancel(); });
    Waiter::Resume(*waiter);
    return;
  }
  if (grant.connection)
    idle_.push_back(std::move(grant.connection));
  else
    --open_;  // a free place nobody waits for
  UpdateGauges();
}

Task<Result<std::unique_ptr<PgConnection>>> PostgresDatabase::Acquire() {
  while (true) {
    Grant grant;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) co_return Error{ErrorCode::kUnavailable, "the database pool is shutting down"};
      if (!idle_.empty()) {
        grant.connection = std::move(idle_.back());
        idle_.pop_back();
      } else if (open_ < options_.max_connections) {
        ++open_;
        grant.may_open = true;
      }
      UpdateGauges();
    }
    if (!grant.connection && !grant.may_open) {
      grant = co_await AwaitGrant();
      if (!grant.connection && !grant.may_open) {
        pool_metrics_.AcquireTimedOut();
        co_return Error{ErrorCode::kOverloaded, fmt::format("no database connection became free within {} ms",
                                                            options_.acquire_timeout.count())};
      }
    }
    if (grant.may_open) {
      auto opened = co_await OpenConnection();
      if (!opened) HandOver(FreePlace());  // a waiter may try in its place; else the place closes
      co_return opened;
    }
    std::string reason;
    if (co_await Validate(*grant.connection, reason)) co_return std::move(grant.connection);
    Drop(std::move(grant.connection), reason);
  }
}

void PostgresDatabase::Drop(std::unique_ptr<PgConnection> connection, const std::string& reason) {
  CountClosed(reason);
  connection.reset();
  HandOver(FreePlace());
}

void PostgresDatabase::CountClosed(const std::string& reason) {
  closed_.Add({{"reason", reason}}).Increment();
}

void PostgresDatabase::Release(std::unique_ptr<PgConnection> connection) {
  if (!connection->Usable()) return Drop(std::move(connection), "broken");
  // Only a failed ROLLBACK leaves a transaction open; the next user must never inherit it.
  if (connection->InTransaction()) return Drop(std::move(connection), "left_in_transaction");
  HandOver(Handing(std::move(connection)));
}

Task<Result<Rows>> PostgresDatabase::RunLeased(std::string sql, Params params) {
  auto acquired = co_await Acquire();
  if (!acquired) co_return std::move(acquired).error();
  Lease lease(*this, std::move(acquired).value());
  auto rows = co_await lease->Run(sql, params, options_.statement_timeout);
  if (rows || lease->Usable()) NoteAnswered();  // the server answered
  co_return rows;
}

void PostgresDatabase::NoteAnswered() { last_success_ms_.store(NowMs(), std::memory_order_relaxed); }

Task<Result<Rows>> PostgresDatabase::Query(std::string sql, Params params) {
  co_return co_await RunLeased(std::move(sql), std::move(params));
}

Task<Result<std::int64_t>> PostgresDatabase::Execute(std::string sql, Params params) {
  auto rows = co_await RunLeased(std::move(sql), std::move(params));
  if (!rows) co_return std::move(rows).error();
  co_return rows->affected;
}

// Autocommit: PostgreSQL has made the statement durable (synchronous_commit) when it answers.
Task<Result<Rows>> PostgresDatabase::Write(std::string sql, Params params) {
  co_return co_await RunLeased(std::move(sql), std::move(params));
}

Task<Result<void>> PostgresDatabase::Transaction(std::function<Task<Result<void>>(Session&)> body) {
  auto acquired = co_await Acquire();
  if (!acquired) co_return std::move(acquired).error();
  Lease lease(*this, std::move(acquired).value());
  const auto timeout = options_.statement_timeout;
  TransactionSession session(*lease, timeout);
  // When ROLLBACK is refused, Release drops the connection.
  co_return co_await RunTransaction(
      "BEGIN",
      [&lease, timeout](const char* sql) -> Task<Result<void>> {
        const Params none;
        auto done = co_await lease->Run(sql, none, timeout);
        if (!done) co_return std::move(done).error();
        co_return Ok();
      },
      session, body);
}

Task<Result<void>> PostgresDatabase::Ping() {
  if (NowMs() - last_success_ms_.load(std::memory_order_relaxed) < kRecentSuccessMs) co_return Ok();
  std::string probe = "SELECT 1";
  Params none;
  auto rows = co_await RunLeased(std::move(probe), std::move(none));
  if (!rows) co_return std::move(rows).error();
  co_return Ok();
}

Task<void> PostgresDatabase::Maintain() {
  auto& timer = reactor_->maintenance_timer;
  while (true) {
    std::vector<std::unique_ptr<PgConnection>> closing;
    std::vector<std::string> reasons;
    int to_open = 0;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) co_return;
      auto now = PgConnection::Clock::now();
      std::erase_if(idle_, [&](std::unique_ptr<PgConnection>& connection) {
        bool aged = now - connection->opened_at() > options_.max_lifetime;
        if (!aged && connection->StillOpen()) return false;
        reasons.push_back(aged ? "max_lifetime" : "closed_by_server");
        closing.push_back(std::move(connection));
        return true;
      });
      open_ -= static_cast<int>(closing.size());
      to_open = std::max(0, options_.min_connections - open_);
      open_ += to_open;
      UpdateGauges();
    }
    for (const auto& reason : reasons) CountClosed(reason);
    closing.clear();
    for (int i = 0; i < to_open; ++i) {
      auto opened = co_await OpenConnection();
      if (!opened) {  // give back this place and the rest; next round tries again
        for (; i < to_open; ++i) HandOver(FreePlace());
        break;
      }
      HandOver(Handing(std::move(opened).value()));
    }
    timer.expires_after(kMaintenancePeriod);
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

Result<MigrationReport> PostgresDatabase::Migrate(const std::vector<Migration>& migrations) {
  return MigratePostgres(options_.direct_url.empty() ? options_.url : options_.direct_url, migrations);
}

}  // namespace keel::sql
