// PgConnection: asynchronous connect, unnamed parameterized statements, results as Rows.
#include "storage/sql/postgres/pg_connection.hpp"

#include <fcntl.h>

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <libpq-fe.h>
#include <boost/asio/buffer.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/log.hpp"
#include "storage/sql/postgres/pg_resolve.hpp"
#include "storage/sql/postgres/pg_statement.hpp"
#include "storage/sql/statement_error.hpp"

namespace keel::sql {

namespace asio = boost::asio;

namespace {

// How often a send that found the socket buffer full looks again. Only statements larger than the buffer
// (hundreds of KB) ever wait here.
constexpr auto kWriteRetry = std::chrono::milliseconds(1);

ErrorCode ClassifySqlState(std::string_view state) {
  if (state.starts_with("23")) return ErrorCode::kConflict;                  // integrity constraint violation
  if (state == "40001" || state == "40P01") return ErrorCode::kUnavailable;  // serialization, deadlock
  if (state.starts_with("08") || state.starts_with("53") || state.starts_with("57P"))
    return ErrorCode::kUnavailable;                  // connection, resources, server shutting down
  if (state == "57014") return ErrorCode::kTimeout;  // statement_timeout or cancel
  if (state.starts_with("54")) return ErrorCode::kTooLarge;
  return ErrorCode::kInternal;
}

}  // namespace

// The connection's socket as Asio sees it: a duplicate of libpq's descriptor, registered with the database's
// reactor. A duplicate, because libpq closes its own descriptor when it notices the server went away, and the
// number may then belong to a new connection's socket by the time this one is torn down: deregistering it
// from epoll would silence that other connection. The duplicate's number stays ours until we close it.
class PgConnection::Socket {
 public:
  explicit Socket(asio::io_context& reactor) : reactor_(reactor) {}
  ~Socket() { Detach(); }

  Result<void> Attach(int libpq_fd) {
    Detach();
    sockaddr_storage address{};
    socklen_t length = sizeof(address);
    if (::getsockname(libpq_fd, reinterpret_cast<sockaddr*>(&address), &length) != 0)
      return Error{ErrorCode::kUnavailable, "libpq's socket is not a socket"};
    int fd = ::fcntl(libpq_fd, F_DUPFD_CLOEXEC, 0);
    if (fd < 0) return Error{ErrorCode::kUnavailable, "cannot duplicate the database socket"};
    int family = address.ss_family;
    asio::generic::stream_protocol protocol(family, family == AF_UNIX ? 0 : IPPROTO_TCP);
    boost::system::error_code ec;
    socket_.emplace(reactor_);
    socket_->assign(protocol, fd, ec);
    if (ec) {
      socket_.reset();
      ::close(fd);
      return Error{ErrorCode::kUnavailable,
                   fmt::format("cannot watch the database socket: {}", ec.message())};
    }
    fd_ = fd;
    return Ok();
  }

  // Closes the duplicate (libpq's descriptor is libpq's to close).
  void Detach() {
    if (!socket_) return;
    boost::system::error_code ec;
    socket_->close(ec);
    socket_.reset();
    fd_ = -1;
  }

  // Until the server sent something (or closed): false when the deadline passed first. A one-byte peek, not a
  // readiness wait: Asio's reactor is edge-triggered, and an answer that arrived before a wait was queued
  // would never wake it; the peek looks at the socket first.
  Task<bool> AwaitReadable(Clock::time_point deadline) {
    auto executor = co_await asio::this_coro::executor;
    auto watch = std::make_shared<DeadlineWatch>();
    watch->socket = &*socket_;
    asio::steady_timer timer(executor, deadline);
    timer.async_wait([watch](const boost::system::error_code& ec) { watch->Expire(ec); });
    char byte = 0;
    boost::system::error_code ec;
    co_await socket_->async_receive(asio::buffer(&byte, 1), asio::socket_base::message_peek,
                                    asio::redirect_error(asio::use_awaitable, ec));
    bool expired = watch->Disarm();
    timer.cancel();
    co_return !expired;  // errors such as EOF count as readable: libpq reports them
  }

  // Until the socket takes more bytes: false when the deadline passed first.
  Task<bool> AwaitWritable(Clock::time_point deadline) {
    auto executor = co_await asio::this_coro::executor;
    asio::steady_timer timer(executor);
    while (true) {
      pollfd probe{fd_, POLLOUT, 0};
      if (::poll(&probe, 1, 0) != 0) co_return true;  // writable, or an error libpq will report
      if (Clock::now() >= deadline) co_return false;
      timer.expires_after(kWriteRetry);
      boost::system::error_code ec;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }

 private:
  // Cancels the pending read when the deadline passes first. Shared with the timer's handler, which may run
  // after the wait finished: Disarm makes it a no-op then.
  struct DeadlineWatch {
    std::mutex mutex;
    asio::generic::stream_protocol::socket* socket = nullptr;  // GUARDED_BY(mutex); null once disarmed
    bool expired = false;                                      // GUARDED_BY(mutex)

    void Expire(const boost::system::error_code& ec) {
      std::lock_guard lock(mutex);
      if (ec || socket == nullptr) return;
      expired = true;
      boost::system::error_code ignored;
      socket->cancel(ignored);
    }
    bool Disarm() {
      std::lock_guard lock(mutex);
      socket = nullptr;
      return expired;
    }
  };

  asio::io_context& reactor_;
  std::optional<asio::generic::stream_protocol::socket> socket_;
  int fd_ = -1;
};

PgConnection::PgConnection(pg_conn* conn, std::unique_ptr<Socket> socket)
    : conn_(conn), socket_(std::move(socket)), opened_at_(Clock::now()), last_used_(opened_at_) {}

PgConnection::~PgConnection() {
  socket_.reset();  // our duplicate first: the socket is shut only once both descriptors are closed
  PQfinish(conn_);
}

Task<Result<std::unique_ptr<PgConnection>>> PgConnection::Connect(asio::io_context& reactor,
                                                                  std::string conninfo,
                                                                  std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  auto resolved = co_await pg::ResolveHost(conninfo, deadline);
  if (!resolved) co_return std::move(resolved).error();
  // Keywords after the expanded connection string override what it says.
  std::vector<const char*> keys = {"dbname", "fallback_application_name"};
  std::vector<const char*> values = {conninfo.c_str(), "keel"};
  for (const auto& [key, value] : *resolved) {
    keys.push_back(key.c_str());
    values.push_back(value.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  pg_conn* conn = PQconnectStartParams(keys.data(), values.data(), /*expand_dbname=*/1);
  if (conn == nullptr) co_return Error{ErrorCode::kInternal, "libpq could not allocate a connection"};
  std::unique_ptr<pg_conn, void (*)(pg_conn*)> owned(conn, PQfinish);
  auto socket = std::make_unique<Socket>(reactor);
  auto status = PQstatus(conn) == CONNECTION_BAD ? PGRES_POLLING_FAILED : PGRES_POLLING_WRITING;
  while (status != PGRES_POLLING_OK) {
    if (status == PGRES_POLLING_FAILED) {
      socket->Detach();
      co_return Error{ErrorCode::kUnavailable,
                      fmt::format("cannot connect to PostgreSQL: {}",
                                  pg::WithoutPassword(pg::Trimmed(PQerrorMessage(conn)), conninfo))};
    }
    // libpq may close and open sockets while it tries addresses: watch the current one.
    if (auto attached = socket->Attach(PQsocket(conn)); !attached) co_return attached.error();
    bool ready = false;
    if (status == PGRES_POLLING_READING)
      ready = co_await socket->AwaitReadable(deadline);
    else
      ready = co_await socket->AwaitWritable(deadline);
    if (!ready) {
      socket->Detach();
      co_return Error{ErrorCode::kTimeout,
                      fmt::format("connecting to PostgreSQL took longer than {} ms", timeout.count())};
    }
    status = PQconnectPoll(conn);
  }
  if (PQsetnonblocking(conn, 1) != 0)
    co_return Error{ErrorCode::kInternal, "cannot put the PostgreSQL connection in non-blocking mode"};
  PQsetNoticeProcessor(conn, pg::LogNotice, nullptr);
  if (auto attached = socket->Attach(PQsocket(conn)); !attached) co_return attached.error();
  co_return std::unique_ptr<PgConnection>(new PgConnection(owned.release(), std::move(socket)));
}

Task<Result<Rows>> PgConnection::Run(std::string_view sql, const Params& params,
                                     std::chrono::milliseconds timeout) {
  last_used_ = Clock::now();
  const auto deadline = last_used_ + timeout;
  auto statement = Number(sql, params);
  if (!statement) co_return std::move(statement).error();
  if (auto sent = Send(*statement, params); !sent) co_return std::move(sent).error();
  Result<void> flushed = co_await Flush(deadline);
  if (!flushed) co_return std::move(flushed).error();
  co_return co_await AwaitResults(deadline);
}

Result<pg::NumberedStatement> PgConnection::Number(std::string_view sql, const Params& params) {
  auto statement = pg::NumberPlaceholders(sql);
  if (statement.placeholders != static_cast<int>(params.size()))
    return Error{ErrorCode::kInternal,
                 fmt::format("statement takes {} parameters, got {}", statement.placeholders, params.size())};
  return statement;
}

Result<void> PgConnection::Send(const pg::NumberedStatement& statement, const Params& params) {
  auto encoded = pg::EncodeParams(params);
  if (PQsendQueryParams(conn_, statement.text.c_str(), static_cast<int>(params.size()), encoded.types.data(),
                        encoded.values.data(), encoded.lengths.data(), nullptr, /*resultFormat=*/0) == 0) {
    broken_ = true;
    return Error{ErrorCode::kUnavailable,
                 fmt::format("cannot send to PostgreSQL: {}", pg::Trimmed(PQerrorMessage(conn_)))};
  }
  return Ok();
}

Task<Result<void>> PgConnection::Flush(Clock::time_point deadline) {
  while (true) {
    int pending = PQflush(conn_);
    if (pending == 0) co_return Ok();
    if (pending < 0) {
      broken_ = true;
      co_return Error{ErrorCode::kUnavailable,
                      fmt::format("cannot send to PostgreSQL: {}", pg::Trimmed(PQerrorMessage(conn_)))};
    }
    bool writable = co_await socket_->AwaitWritable(deadline);
    if (!writable) {
      broken_ = true;
      co_return Error{ErrorCode::kTimeout, "cannot send to PostgreSQL: timed out"};
    }
    // libpq wants what the server sent read while it still has bytes to send (the server may be waiting too).
    if (PQconsumeInput(conn_) == 0) {
      broken_ = true;
      co_return Error{ErrorCode::kUnavailable,
                      fmt::format("lost the PostgreSQL connection: {}", pg::Trimmed(PQerrorMessage(conn_)))};
    }
  }
}

namespace {

// Appends one result of the statement to rows, or returns its error.
std::optional<Error> Collect(PGresult* result, Rows& rows) {
  switch (PQresultStatus(result)) {
    case PGRES_TUPLES_OK:
    case PGRES_SINGLE_TUPLE:
    case PGRES_COMMAND_OK:
    case PGRES_EMPTY_QUERY:
      break;
    default: {
      const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
      std::string_view sqlstate = state == nullptr ? "" : state;
      return StatementError(ClassifySqlState(sqlstate), sqlstate, pg::Trimmed(PQresultErrorMessage(result)));
    }
  }
  int columns = PQnfields(result);
  int count = PQntuples(result);
  if (rows.columns.empty())
    for (int c = 0; c < columns; ++c) rows.columns.emplace_back(PQfname(result, c));
  rows.rows.reserve(rows.rows.size() + static_cast<std::size_t>(count));
  for (int r = 0; r < count; ++r) {
    std::vector<Value> row;
    row.reserve(static_cast<std::size_t>(columns));
    for (int c = 0; c < columns; ++c) {
      if (PQgetisnull(result, r, c)) {
        row.emplace_back(nullptr);
      } else {
        row.push_back(pg::DecodeCell(
            PQftype(result, c),
            std::string_view(PQgetvalue(result, r, c), static_cast<std::size_t>(PQgetlength(result, r, c)))));
      }
    }
    rows.rows.push_back(std::move(row));
  }
  std::string_view affected = PQcmdTuples(result);
  if (!affected.empty()) rows.affected = std::stoll(std::string(affected));
  return std::nullopt;
}

}  // namespace

Task<Result<Rows>> PgConnection::AwaitResults(Clock::time_point deadline) {
  Rows rows;
  std::optional<Error> failure;
  while (true) {
    while (PQisBusy(conn_) != 0) {
      if (!co_await socket_->AwaitReadable(deadline)) {
        broken_ = true;  // the statement may still run; this connection's state is unknown now
        co_return Error{ErrorCode::kTimeout, "the database did not answer in time"};
      }
      if (PQconsumeInput(conn_) == 0) {
        broken_ = true;
        co_return Error{ErrorCode::kUnavailable, fmt::format("lost the PostgreSQL connection: {}",
                                                             pg::Trimmed(PQerrorMessage(conn_)))};
      }
    }
    PGresult* result = PQgetResult(conn_);
    if (result == nullptr) break;
    auto status = PQresultStatus(result);
    if (status == PGRES_PIPELINE_SYNC) {  // a pipeline's end: no null result follows it
      PQclear(result);
      break;
    }
    if (status == PGRES_COPY_IN || status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH) {
      // Keel never issues COPY; the protocol state it leaves cannot be unwound here: drop the connection.
      PQclear(result);
      broken_ = true;
      co_return Error{ErrorCode::kInternal, "COPY is not supported on this connection"};
    }
    if (status == PGRES_PIPELINE_ABORTED && !failure)
      failure = Error{ErrorCode::kUnavailable, "not run: an earlier statement of its group failed"};
    else if (auto error = Collect(result, rows); error && !failure)
      failure = std::move(error);
    PQclear(result);
  }
  if (PQstatus(conn_) != CONNECTION_OK) {
    broken_ = true;
    co_return Error{ErrorCode::kUnavailable,
                    fmt::format("lost the PostgreSQL connection: {}", pg::Trimmed(PQerrorMessage(conn_)))};
  }
  if (failure) co_return std::move(*failure);
  co_return rows;
}

Task<Result<std::vector<Result<Rows>>>> PgConnection::RunPipeline(
    const std::vector<const Statement*>& statements, std::chrono::milliseconds timeout) {
  last_used_ = Clock::now();
  const auto deadline = last_used_ + timeout;
  // Numbered before anything is sent: a statement refused here fails the pipeline with the connection
  // still clean, so the caller can run the others on their own.
  std::vector<pg::NumberedStatement> numbered;
  numbered.reserve(statements.size());
  for (const Statement* statement : statements) {
    auto one = Number(statement->sql, statement->params);
    if (!one) co_return std::move(one).error();
    numbered.push_back(std::move(one).value());
  }
  if (PQenterPipelineMode(conn_) == 0)
    co_return Error{ErrorCode::kInternal, "cannot enter pipeline mode on a busy PostgreSQL connection"};
  for (std::size_t i = 0; i < statements.size(); ++i) {
    if (auto sent = Send(numbered[i], statements[i]->params); !sent) co_return std::move(sent).error();
  }
  if (PQpipelineSync(conn_) == 0) {
    broken_ = true;
    co_return Error{ErrorCode::kUnavailable,
                    fmt::format("cannot send to PostgreSQL: {}", pg::Trimmed(PQerrorMessage(conn_)))};
  }
  Result<void> flushed = co_await Flush(deadline);
  if (!flushed) co_return std::move(flushed).error();
  std::vector<Result<Rows>> outcomes;
  outcomes.reserve(statements.size());
  for (std::size_t i = 0; i < statements.size(); ++i) {
    auto outcome = co_await AwaitResults(deadline);  // up to the end of this statement's results
    if (!outcome && !Usable()) co_return std::move(outcome).error();
    outcomes.push_back(std::move(outcome));
  }
  // The Sync's answer: the implicit transaction has committed (or rolled back) when it arrives. Exiting
  // pipeline mode fails unless it was the last result owed.
  auto synced = co_await AwaitResults(deadline);
  if (!synced) co_return std::move(synced).error();
  if (PQexitPipelineMode(conn_) == 0) {
    broken_ = true;
    co_return Error{ErrorCode::kUnavailable, "the PostgreSQL pipeline ended out of step"};
  }
  co_return outcomes;
}

bool PgConnection::Usable() const { return !broken_ && PQstatus(conn_) == CONNECTION_OK; }

bool PgConnection::StillOpen() {
  if (!Usable()) return false;
  if (PQconsumeInput(conn_) == 0) {
    broken_ = true;
    return false;
  }
  (void)PQisBusy(conn_);  // parses what arrived; a server-side close turns the status bad
  return Usable();
}

bool PgConnection::InTransaction() const { return PQtransactionStatus(conn_) != PQTRANS_IDLE; }

}  // namespace keel::sql
