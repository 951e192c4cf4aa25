// One PostgreSQL connection driven by libpq without blocking: a statement is sent, then its answer is awaited
// through the socket, so the calling IO thread serves other requests meanwhile.
//
// Thread safety: none; one coroutine at a time. Consecutive users may run on different threads (the pool's
// mutex orders them). Socket readiness is watched by the owning database's reactor (an io_context run by its
// own thread); completions resume the caller on the caller's executor.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "core/async.hpp"
#include "core/result.hpp"
#include "storage/sql/postgres/pg_statement.hpp"
#include "storage/sql/value.hpp"

namespace boost::asio {
class io_context;
}

struct pg_conn;

namespace keel::sql {

class PgConnection {
 public:
  using Clock = std::chrono::steady_clock;

  // Opens a connection from a libpq connection string or postgres:// URL. kUnavailable when the server cannot
  // be reached or refuses (the message says why), kTimeout after `timeout`.
  static Task<Result<std::unique_ptr<PgConnection>>> Connect(boost::asio::io_context& reactor,
                                                             std::string conninfo,
                                                             std::chrono::milliseconds timeout);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // One statement with `?` placeholders, as an unnamed statement (pgBouncer's transaction pooling cannot
  // follow named ones). A statement error leaves the connection usable; a lost socket or a statement that
  // outlives `timeout` marks it broken.
  Task<Result<Rows>> Run(std::string_view sql, const Params& params, std::chrono::milliseconds timeout);

  // The statements in one round trip (libpq's pipeline mode, one Sync at the end), so they run as one
  // implicit transaction: all committed when this returns with every outcome ok, none when any failed
  // (the ones after a failure are not run). The outer error is the connection's (lost, timed out).
  Task<Result<std::vector<Result<Rows>>>> RunPipeline(const std::vector<const Statement*>& statements,
                                                      std::chrono::milliseconds timeout);

  // False once the connection cannot be trusted with another statement.
  bool Usable() const;
  // Reads whatever the server sent while the connection sat idle, without blocking: false when the server
  // closed it (a restart, an idle timeout, pg_terminate_backend).
  bool StillOpen();
  bool InTransaction() const;

  Clock::time_point opened_at() const { return opened_at_; }
  Clock::time_point last_used() const { return last_used_; }

 private:
  class Socket;
  PgConnection(pg_conn* conn, std::unique_ptr<Socket> socket);
  // `?` placeholders numbered; kInternal when their count is not the parameters'.
  static Result<pg::NumberedStatement> Number(std::string_view sql, const Params& params);
  // Queues one statement in libpq's output buffer.
  Result<void> Send(const pg::NumberedStatement& statement, const Params& params);
  // Until libpq's output buffer reached the server.
  Task<Result<void>> Flush(Clock::time_point deadline);
  // One statement's results, up to the null result that ends them (or a pipeline's Sync).
  Task<Result<Rows>> AwaitResults(Clock::time_point deadline);

  pg_conn* conn_;
  std::unique_ptr<Socket> socket_;
  bool broken_ = false;
  Clock::time_point opened_at_;
  Clock::time_point last_used_;
};

}  // namespace keel::sql
