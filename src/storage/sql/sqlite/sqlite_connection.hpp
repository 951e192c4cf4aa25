// One SQLite connection with a prepared-statement cache. Synchronous: callers run it on a pool thread.
//
// Thread safety: none; one thread at a time (the connection is opened in multi-thread mode).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/result.hpp"
#include "storage/sql/value.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace keel::sql {

class SqliteConnection {
 public:
  // Opens (creating if needed) the file with WAL, synchronous=FULL, foreign keys and the busy timeout.
  static Result<std::unique_ptr<SqliteConnection>> Open(const std::string& path, int busy_timeout_ms);
  ~SqliteConnection();
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  // One parameterized statement. Statements are prepared once per connection and reused.
  Result<Rows> Run(std::string_view sql, const Params& params);

  // Several statements without parameters (migrations, BEGIN/COMMIT).
  Result<void> Exec(std::string_view sql);

  bool InTransaction() const;

 private:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}
  Error LastError(std::string_view context) const;

  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*> statements_;
};

}  // namespace keel::sql
