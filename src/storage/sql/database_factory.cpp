// Chooses the Database backend from database.url.
#include <filesystem>

#include <fmt/format.h>

#include "core/config.hpp"
#include "storage/sql/database.hpp"
#include "storage/sql/sqlite/sqlite_database.hpp"

namespace keel::sql {

Result<std::unique_ptr<Database>> OpenDatabase(const Config& config, Metrics& metrics) {
  const std::string& url = config.String("database.url");
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

}  // namespace keel::sql
