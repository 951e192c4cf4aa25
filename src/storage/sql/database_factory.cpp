// Chooses the Database backend from database.url.
#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "core/config.hpp"
#include "storage/sql/database.hpp"
#include "storage/sql/postgres/pg_listener.hpp"
#include "storage/sql/postgres/postgres_database.hpp"
#include "storage/sql/sqlite/sqlite_database.hpp"

namespace keel::sql {

Result<std::unique_ptr<Database>> OpenDatabase(const Config& config, Metrics& metrics) {
  const std::string& url = config.String("database.url");
  if (url.starts_with("postgres://") || url.starts_with("postgresql://")) {
    PostgresOptions options;
    options.url = url;
    options.direct_url = config.String("database.direct_url");
    options.max_connections = static_cast<int>(config.Int("database.pool_size"));
    options.min_connections =
        std::min(options.max_connections, static_cast<int>(config.Int("database.pool_min_size")));
    options.acquire_timeout = std::chrono::milliseconds(config.Int("database.acquire_timeout_ms"));
    options.connect_timeout = std::chrono::milliseconds(config.Int("database.connect_timeout_ms"));
    options.statement_timeout = std::chrono::milliseconds(config.Int("database.statement_timeout_ms"));
    options.validate_after_idle = std::chrono::milliseconds(config.Int("database.validate_idle_ms"));
    options.max_lifetime = std::chrono::seconds(config.Int("database.max_lifetime_s"));
    auto db = PostgresDatabase::Open(options, metrics);
    if (!db) return std::move(db).error();
    return std::unique_ptr<Database>(std::move(db).value());
  }
  constexpr std::string_view kSqlite = "sqlite://";
  if (url.rfind(kSqlite, 0) != 0)
    return Error{ErrorCode::kInvalidArgument, fmt::format("database.url: unsupported scheme in {}", url)};
  SqliteOptions options;
  options.path = url.substr(kSqlite.size());
  options.pool_size = static_cast<int>(config.Int("database.pool_size"));
  options.busy_timeout_ms = static_cast<int>(config.Int("database.busy_timeout_ms"));
  options.acquire_timeout = std::chrono::milliseconds(config.Int("database.acquire_timeout_ms"));
  options.queue_limit = static_cast<std::size_t>(config.Int("pool.queue_limit"));
  std::error_code ec;
  auto parent = std::filesystem::path(options.path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (ec)
    return Error{ErrorCode::kUnavailable, fmt::format("cannot create {}: {}", parent.string(), ec.message())};
  auto db = SqliteDatabase::Open(options, metrics);
  if (!db) return std::move(db).error();
  return std::unique_ptr<Database>(std::move(db).value());
}

std::unique_ptr<NotificationListener> ListenForNotifications(
    const Config& config, std::string channel, std::function<void(const std::string&)> on_notify) {
  const std::string& url = config.String("database.url");
  const std::string& direct = config.String("database.direct_url");
  if (!(url.starts_with("postgres://") || url.starts_with("postgresql://")) || direct.empty()) return nullptr;
  return std::make_unique<PgListener>(direct, std::move(channel), std::move(on_notify));
}

}  // namespace keel::sql
