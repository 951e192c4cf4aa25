// MigratePostgres: schema_migrations bookkeeping over one blocking libpq connection.
#include "storage/sql/postgres/pg_migrator.hpp"

#include <memory>
#include <set>
#include <string_view>

#include <fmt/format.h>
#include <libpq-fe.h>

#include "core/log.hpp"
#include "storage/sql/postgres/pg_statement.hpp"

namespace keel::sql {

namespace {

// Any fixed key: every Keel process migrating this database takes the same lock.
constexpr std::string_view kLockKey = "7201135";

using ResultPtr = std::unique_ptr<PGresult, void (*)(PGresult*)>;

// Runs sql (several statements allowed when there are no parameters).
Result<ResultPtr> Run(PGconn* conn, const std::string& sql, const std::vector<std::string>& params = {}) {
  std::vector<const char*> values;
  for (const auto& p : params) values.push_back(p.c_str());
  ResultPtr result(params.empty() ? PQexec(conn, sql.c_str())
                                  : PQexecParams(conn, sql.c_str(), static_cast<int>(values.size()), nullptr,
                                                 values.data(), nullptr, nullptr, 0),
                   PQclear);
  auto status = PQresultStatus(result.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
    return Error{PQstatus(conn) == CONNECTION_OK ? ErrorCode::kInternal : ErrorCode::kUnavailable,
                 std::string(pg::Trimmed(PQerrorMessage(conn)))};
  return result;
}

Result<void> Exec(PGconn* conn, const std::string& sql) {
  auto ran = Run(conn, sql);
  if (!ran) return std::move(ran).error();
  return Ok();
}

}  // namespace

Result<MigrationReport> MigratePostgres(const std::string& url, const std::vector<Migration>& migrations) {
  // A bounded wait: a host that drops packets must not hang start-up.
  const char* keys[] = {"dbname", "fallback_application_name", "connect_timeout", nullptr};
  const char* values[] = {url.c_str(), "keel-migrate", "10", nullptr};
  std::unique_ptr<PGconn, void (*)(PGconn*)> owned(PQconnectdbParams(keys, values, 1), PQfinish);
  PGconn* conn = owned.get();
  if (conn == nullptr || PQstatus(conn) != CONNECTION_OK)
    return Error{ErrorCode::kUnavailable,
                 fmt::format("cannot connect to PostgreSQL: {}",
                             pg::WithoutPassword(pg::Trimmed(PQerrorMessage(conn)), url))};
  PQsetNoticeProcessor(conn, pg::LogNotice, nullptr);
  const std::string lock = fmt::format("SELECT pg_advisory_xact_lock({})", kLockKey);

  // Two processes creating the table at once would collide in the catalog: the lock orders them.
  auto created =
      Exec(conn, fmt::format("BEGIN; {}; CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT "
                             "PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL); COMMIT",
                             lock));
  if (!created) return std::move(created).error();
  auto applied_rows = Run(conn, "SELECT version FROM schema_migrations");
  if (!applied_rows) return std::move(applied_rows).error();
  std::set<std::int64_t> applied;
  for (int i = 0; i < PQntuples(applied_rows->get()); ++i)
    applied.insert(std::stoll(PQgetvalue(applied_rows->get(), i, 0)));

  auto pending = PendingMigrations(migrations, applied);
  if (!pending) return std::move(pending).error();
  MigrationReport report;
  for (const auto& migration : *pending) {
    const std::string version = std::to_string(migration.version);
    auto fail = [&](const Error& error) {
      (void)Exec(conn, "ROLLBACK");
      return Error{error.code,
                   fmt::format("migration {} failed: {}", MigrationLabel(migration), error.message)};
    };
    if (auto begun = Exec(conn, "BEGIN"); !begun) return fail(begun.error());
    if (auto locked = Exec(conn, lock); !locked) return fail(locked.error());
    // Another process may have applied it between our read and our lock.
    auto already = Run(conn, "SELECT 1 FROM schema_migrations WHERE version = $1", {version});
    if (!already) return fail(already.error());
    if (PQntuples(already->get()) > 0) {
      (void)Exec(conn, "ROLLBACK");
      continue;
    }
    if (auto done = Exec(conn, migration.sql); !done) return fail(done.error());
    auto recorded = Run(conn,
                        "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, "
                        "to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'))",
                        {version, migration.name});
    if (!recorded) return fail(recorded.error());
    if (auto committed = Exec(conn, "COMMIT"); !committed) return fail(committed.error());
    report.applied.push_back(MigrationLabel(migration));
    log::Info("migration applied",
              log::Fields().Add("migration", MigrationLabel(migration)).Add("module", migration.module));
  }
  auto current = Run(conn, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  if (current && PQntuples(current->get()) > 0)
    report.current_version = std::stoll(PQgetvalue(current->get(), 0, 0));
  return report;
}

}  // namespace keel::sql
