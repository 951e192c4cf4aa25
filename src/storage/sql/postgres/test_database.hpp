// For tests against a real server: the PostgreSQL database the `unit_servers` test names (CMakeLists.txt,
// from `keel cluster up`'s environment). KEEL_TEST_PG_URL reaches it through pgBouncer,
// KEEL_TEST_PG_DIRECT_URL without it (for migrations). The database is shared and already migrated by `keel
// cluster up`: a test keeps its rows apart by names of its own.
#pragma once

#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "core/metrics.hpp"
#include "core/result.hpp"
#include "storage/sql/postgres/postgres_database.hpp"

namespace keel::sql {

// An environment variable's value, or "" when it is not set.
inline std::string TestEnv(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

// nullopt when KEEL_TEST_PG_URL is not set (the test skips), else what opening it gave.
inline std::optional<Result<std::unique_ptr<Database>>> OpenTestPostgres(Metrics& metrics) {
  const char* url = std::getenv("KEEL_TEST_PG_URL");
  if (url == nullptr || *url == '\0') return std::nullopt;
  const char* direct = std::getenv("KEEL_TEST_PG_DIRECT_URL");
  PostgresOptions options;
  options.url = url;
  options.direct_url = direct == nullptr ? "" : direct;
  auto opened = PostgresDatabase::Open(options, metrics);
  if (!opened) return Result<std::unique_ptr<Database>>(std::move(opened).error());
  return Result<std::unique_ptr<Database>>(std::unique_ptr<Database>(std::move(opened).value()));
}

}  // namespace keel::sql
