// Applying schema migrations to PostgreSQL, from any number of processes at once.
//
// Blocking (start-up and `keel migrate`). Each migration runs in its own transaction holding a
// transaction-scoped advisory lock, which works through pgBouncer's transaction pooling too.
#pragma once

#include <string>
#include <vector>

#include "core/result.hpp"
#include "storage/sql/migrations.hpp"

namespace keel::sql {

Result<MigrationReport> MigratePostgres(const std::string& url, const std::vector<Migration>& migrations);

}  // namespace keel::sql
