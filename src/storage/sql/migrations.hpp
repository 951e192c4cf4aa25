// Schema migrations: numbered SQL scripts applied once each, in version order across every module, recorded
// in schema_migrations. Each module keeps its own in migrations/{sqlite,postgres}/ beside its code (compiled
// in by cmake/embed_migrations.cmake); versions are global: 0001-0008 as first shipped, and every later one
// the UTC time it was written, YYYYMMDDHHMM, so modules written side by side never pick the same number.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace keel::sql {

struct Migration {
  Migration(std::int64_t number, std::string label, std::string script, std::string owner = "")
      : version(number), name(std::move(label)), sql(std::move(script)), module(std::move(owner)) {}

  std::int64_t version;
  std::string name;
  std::string sql;
  std::string module;  // whose it is ("tasks"), for messages
};

struct MigrationReport {
  std::vector<std::string> applied;  // "0001_name" for each migration applied by this run
  std::int64_t current_version = 0;
};

// The platform's own migrations (the keel_instance table) for `backend` ("sqlite" or "postgres").
const std::vector<Migration>& PlatformMigrations(std::string_view backend);

// Those of `all` not yet in `applied`, in version order. Fails when versions repeat (naming both migrations
// and their modules), or when the database has a version this binary does not know (it was migrated by a
// newer Keel).
Result<std::vector<Migration>> PendingMigrations(const std::vector<Migration>& all,
                                                 const std::set<std::int64_t>& applied);

std::string MigrationLabel(const Migration& migration);

}  // namespace keel::sql
