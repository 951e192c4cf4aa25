// Choosing which migrations to apply.
#include "storage/sql/migrations.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace keel::sql {

Result<std::vector<Migration>> PendingMigrations(const std::vector<Migration>& all,
                                                 const std::set<std::int64_t>& applied) {
  std::vector<Migration> sorted = all;
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.version < b.version; });
  for (std::size_t i = 1; i < sorted.size(); ++i) {
    if (sorted[i].version == sorted[i - 1].version)
      return Error{ErrorCode::kInternal,
                   fmt::format("two migrations have version {}: {}/{} and {}/{}", sorted[i].version,
                               sorted[i - 1].module, MigrationLabel(sorted[i - 1]), sorted[i].module,
                               MigrationLabel(sorted[i]))};
  }
  std::set<std::int64_t> known;
  for (const auto& m : sorted) known.insert(m.version);
  for (auto version : applied) {
    if (!known.contains(version))
      return Error{
          ErrorCode::kConflict,
          fmt::format("the database has migration {} which this binary does not know; it was migrated "
                      "by a newer Keel",
                      version)};
  }
  std::vector<Migration> pending;
  for (auto& m : sorted)
    if (!applied.contains(m.version)) pending.push_back(std::move(m));
  return pending;
}

std::string MigrationLabel(const Migration& migration) {
  return fmt::format("{:04}_{}", migration.version, migration.name);
}

}  // namespace keel::sql
