// Reading an app's stored events, newest first: GET /api/v1/apps/{app_id}/logs (log_entries, filtered by
// event name, validity and arrival time) and /failed (the events kept aside, with their reasons). Pages are
// keyset cursors over (created_ms, id) on the (app_id, created_ms) and (app_id, event_name, created_ms)
// indexes, so every page costs the same however deep it is, and rows arriving meanwhile do not shift it.
//
// Thread safety: safe from any IO thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/async.hpp"
#include "http/message.hpp"
#include "http/problem.hpp"
#include "storage/sql/database.hpp"

namespace keel::validation {

inline constexpr std::int64_t kDefaultLogLimit = 100;
inline constexpr std::int64_t kMaxLogLimit = 1000;

// Where the previous page ended.
struct LogCursor {
  std::int64_t created_ms = 0;
  std::int64_t id = 0;
};

struct LogQuery {
  std::optional<std::string> event;
  std::optional<bool> valid;             // /logs only
  std::optional<std::int64_t> since_ms;  // arrived at or after
  std::optional<std::int64_t> until_ms;  // arrived before
  std::int64_t limit = kDefaultLogLimit;
  std::optional<LogCursor> after;
};

// Reads ?event=&valid=&since=&until=&limit=&cursor= (valid only when `with_validity`); a 422 naming each bad
// parameter otherwise.
std::variant<LogQuery, http::Response> ReadLogQuery(const http::Request& request, bool with_validity);

class LogReader {
 public:
  explicit LogReader(sql::Database& db) : db_(db) {}

  // {"items": [...], "next_cursor": "..." | null}
  Task<Result<nlohmann::ordered_json>> Logs(std::string app_id, LogQuery query);
  Task<Result<nlohmann::ordered_json>> Failed(std::string app_id, LogQuery query);

 private:
  Task<Result<nlohmann::ordered_json>> Page(std::string_view table, std::string app_id, LogQuery query);

  sql::Database& db_;
};

// The query of one page of `table` (log_entries or failed_events): limit + 1 rows, the last one only telling
// that another page follows.
sql::Statement LogPageQuery(std::string_view table, const std::string& app_id, const LogQuery& query);

std::string EncodeLogCursor(const LogCursor& cursor);
std::optional<LogCursor> DecodeLogCursor(std::string_view text);

}  // namespace keel::validation
