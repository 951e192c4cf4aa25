// SqliteConnection: opening with Keel's pragmas, binding values, reading rows, mapping SQLite errors.
#include "storage/sql/sqlite/sqlite_connection.hpp"

#include <sqlite3.h>

#include <fmt/format.h>

#include "storage/sql/statement_error.hpp"

namespace keel::sql {
namespace {

ErrorCode CodeFor(int rc) {
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
      return ErrorCode::kConflict;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return ErrorCode::kUnavailable;
    case SQLITE_TOOBIG:
      return ErrorCode::kTooLarge;
    default:
      return ErrorCode::kInternal;
  }
}

Result<void> Bind(sqlite3_stmt* statement, const Params& params) {
  if (static_cast<int>(params.size()) != sqlite3_bind_parameter_count(statement))
    return Error{ErrorCode::kInternal, fmt::format("statement takes {} parameters, got {}",
                                                   sqlite3_bind_parameter_count(statement), params.size())};
  for (std::size_t i = 0; i < params.size(); ++i) {
    int index = static_cast<int>(i) + 1;
    int rc = std::visit(
        [&](const auto& v) -> int {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::nullptr_t>) return sqlite3_bind_null(statement, index);
          if constexpr (std::is_same_v<T, std::int64_t>) return sqlite3_bind_int64(statement, index, v);
          if constexpr (std::is_same_v<T, double>) return sqlite3_bind_double(statement, index, v);
          if constexpr (std::is_same_v<T, std::string>)
            return sqlite3_bind_text64(statement, index, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
        },
        params[i]);
    if (rc != SQLITE_OK)
      return Error{ErrorCode::kInternal, fmt::format("binding parameter {} failed", index)};
  }
  return Ok();
}

Value Column(sqlite3_stmt* statement, int column) {
  switch (sqlite3_column_type(statement, column)) {
    case SQLITE_INTEGER:
      return static_cast<std::int64_t>(sqlite3_column_int64(statement, column));
    case SQLITE_FLOAT:
      return sqlite3_column_double(statement, column);
    case SQLITE_NULL:
      return nullptr;
    default: {
      const auto* text = static_cast<const char*>(sqlite3_column_blob(statement, column));
      return std::string(text == nullptr ? "" : text,
                         static_cast<std::size_t>(sqlite3_column_bytes(statement, column)));
    }
  }
}

}  // namespace

Result<std::unique_ptr<SqliteConnection>> SqliteConnection::Open(const std::string& path,
                                                                 int busy_timeout_ms) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return Error{ErrorCode::kUnavailable, fmt::format("cannot open SQLite database {}: {}", path, message)};
  }
  std::unique_ptr<SqliteConnection> connection(new SqliteConnection(db));
  sqlite3_busy_timeout(db, busy_timeout_ms);
  // synchronous=FULL: an acknowledged commit survives power loss, not only a process crash.
  auto pragmas = connection->Exec(
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; "
      "PRAGMA wal_autocheckpoint=0;");  // SqliteDatabase checkpoints on its own thread
  if (!pragmas) return pragmas.error();
  return connection;
}

SqliteConnection::~SqliteConnection() {
  for (auto& [sql, statement] : statements_) sqlite3_finalize(statement);
  sqlite3_close_v2(db_);
}

Error SqliteConnection::LastError(std::string_view context) const {
  int rc = sqlite3_extended_errcode(db_);
  return StatementError(CodeFor(rc), fmt::format("SQLite {}", rc),
                        fmt::format("{}: {}", context, sqlite3_errmsg(db_)));
}

Result<Rows> SqliteConnection::Run(std::string_view sql, const Params& params) {
  auto cached = statements_.find(std::string(sql));
  sqlite3_stmt* statement = nullptr;
  if (cached != statements_.end()) {
    statement = cached->second;
  } else {
    if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                           &statement, nullptr) != SQLITE_OK)
      return LastError("prepare");
    statements_.emplace(std::string(sql), statement);
  }
  struct Reset {
    sqlite3_stmt* s;
    ~Reset() {
      sqlite3_reset(s);
      sqlite3_clear_bindings(s);
    }
  } reset{statement};

  if (auto bound = Bind(statement, params); !bound) return bound.error();
  Rows rows;
  int columns = sqlite3_column_count(statement);
  for (int c = 0; c < columns; ++c) rows.columns.emplace_back(sqlite3_column_name(statement, c));
  for (;;) {
    int rc = sqlite3_step(statement);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) return LastError("step");
    auto& row = rows.rows.emplace_back();
    row.reserve(columns);
    for (int c = 0; c < columns; ++c) row.push_back(Column(statement, c));
  }
  rows.affected = sqlite3_changes64(db_);
  rows.last_insert_id = sqlite3_last_insert_rowid(db_);
  return rows;
}

Result<void> SqliteConnection::Exec(std::string_view sql) {
  char* message = nullptr;
  std::string text(sql);
  if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    // SQLite's own text in full: Exec runs migrations, pragmas and transaction control, whose failures an
    // operator reads (`keel migrate`); SQLite's text names tables, never a row's values.
    Error error{CodeFor(sqlite3_extended_errcode(db_)), fmt::format("exec: {}", sqlite3_errmsg(db_))};
    sqlite3_free(message);
    return error;
  }
  return Ok();
}

bool SqliteConnection::InTransaction() const { return sqlite3_get_autocommit(db_) == 0; }

}  // namespace keel::sql
