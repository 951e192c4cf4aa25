// Writes checked events: the logged ones to log_entries, the ones kept aside to failed_events, both in one
// transaction that commits before Write returns (so a 200 from POST /api/v1/logs means on disk). SQLite puts
// the statements in its next group commit, shared with every other request's; PostgreSQL gets one statement
// per table whatever the batch's size (the rows travel as one JSON parameter).
//
// Thread safety: Write from any IO thread (the Database is safe so).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/async.hpp"
#include "storage/sql/database.hpp"

namespace keel::validation {

// One event as stored. `violations` is a JSON array (empty when the event is valid).
struct StoredEvent {
  std::string app_id;
  std::string event_name;
  std::int64_t created_ms = 0;
  std::int64_t event_ms = 0;
  std::optional<std::string> user_id;
  std::string properties;  // JSON object
  bool valid = true;
  std::string violations;
  std::optional<std::int64_t> rules_version;
};

class EventWriter {
 public:
  explicit EventWriter(sql::Database& db) : db_(db) {}

  Task<Result<void>> Write(const std::vector<StoredEvent>& logged, const std::vector<StoredEvent>& failed);

 private:
  sql::Database& db_;
};

// The INSERT statements for `rows` into `table` (log_entries or failed_events) on `backend`. SQLite's are
// multi-row VALUES in chunks (chunked_values.hpp); PostgreSQL's is one statement over jsonb_to_recordset.
std::vector<sql::Statement> InsertEvents(std::string_view backend, std::string_view table,
                                         const std::vector<StoredEvent>& rows);

}  // namespace keel::validation
