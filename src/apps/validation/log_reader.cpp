// LogReader: the query string, the keyset query and the rows as JSON.
#include "apps/validation/log_reader.hpp"

#include <charconv>

#include <fmt/format.h>

#include "core/base64url.hpp"
#include "core/rfc3339.hpp"

namespace keel::validation {

namespace {

using Json = nlohmann::ordered_json;

std::optional<std::int64_t> ParseInt(std::string_view text) {
  std::int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

Json ParseStored(std::optional<std::string_view> text, Json fallback) {
  if (!text) return fallback;
  Json parsed = Json::parse(*text, nullptr, /*allow_exceptions=*/false);
  return parsed.is_discarded() ? fallback : parsed;
}

}  // namespace

std::string EncodeLogCursor(const LogCursor& cursor) {
  return Base64UrlEncode(fmt::format("{}.{}", cursor.created_ms, cursor.id));
}

std::optional<LogCursor> DecodeLogCursor(std::string_view text) {
  auto decoded = Base64UrlDecode(text);
  if (!decoded) return std::nullopt;
  auto dot = decoded->find('.');
  if (dot == std::string::npos) return std::nullopt;
  auto created = ParseInt(std::string_view(*decoded).substr(0, dot));
  auto id = ParseInt(std::string_view(*decoded).substr(dot + 1));
  if (!created || !id) return std::nullopt;
  return LogCursor{*created, *id};
}

std::variant<LogQuery, http::Response> ReadLogQuery(const http::Request& request, bool with_validity) {
  LogQuery query;
  std::vector<http::FieldError> errors;
  if (auto event = request.QueryParam("event")) {
    if (event->empty() || event->size() > 200)
      errors.emplace_back("event", "must be an event name of 1 to 200 characters");
    query.event = std::move(*event);
  }
  if (auto valid = request.QueryParam("valid"); valid && with_validity) {
    if (*valid == "true")
      query.valid = true;
    else if (*valid == "false")
      query.valid = false;
    else
      errors.emplace_back("valid", "must be true or false");
  }
  auto time = [&](const char* name) -> std::optional<std::int64_t> {
    auto text = request.QueryParam(name);
    if (!text) return std::nullopt;
    auto ms = ParseRfc3339(*text);
    if (!ms) errors.emplace_back(name, "must be an RFC 3339 time, like 2026-12-02T10:00:00Z");
    return ms;
  };
  query.since_ms = time("since");
  query.until_ms = time("until");
  if (auto limit = request.QueryParam("limit")) {
    auto value = ParseInt(*limit);
    if (!value || *value < 1 || *value > kMaxLogLimit)
      errors.emplace_back("limit", fmt::format("must be a whole number from 1 to {}", kMaxLogLimit));
    else
      query.limit = *value;
  }
  if (auto cursor = request.QueryParam("cursor")) {
    query.after = DecodeLogCursor(*cursor);
    if (!query.after) errors.emplace_back("cursor", "is not a cursor this API gave out (next_cursor)");
  }
  if (!errors.empty()) return http::InvalidFieldsProblem(errors);
  return query;
}

Task<Result<Json>> LogReader::Logs(std::string app_id, LogQuery query) {
  co_return co_await Page("log_entries", std::move(app_id), std::move(query));
}

Task<Result<Json>> LogReader::Failed(std::string app_id, LogQuery query) {
  query.valid.reset();
  co_return co_await Page("failed_events", std::move(app_id), std::move(query));
}

sql::Statement LogPageQuery(std::string_view table, const std::string& app_id, const LogQuery& query) {
  // Only fixed fragments are joined here; every value is a parameter.
  sql::Statement statement;
  std::string& sql = statement.sql;
  sql::Params& params = statement.params;
  sql = fmt::format(
      "SELECT id, event_name, created_ms, event_ms, user_id, properties, {}, violations, rules_version FROM "
      "{} "
      "WHERE app_id = ?",
      table == "log_entries" ? "valid" : "0", table);
  params.emplace_back(app_id);
  if (query.event) {
    sql += " AND event_name = ?";
    params.emplace_back(*query.event);
  }
  if (query.valid) {
    sql += " AND valid = ?";
    params.emplace_back(std::int64_t{*query.valid ? 1 : 0});
  }
  if (query.since_ms) {
    sql += " AND created_ms >= ?";
    params.emplace_back(*query.since_ms);
  }
  if (query.until_ms) {
    sql += " AND created_ms < ?";
    params.emplace_back(*query.until_ms);
  }
  if (query.after) {
    sql += " AND (created_ms < ? OR (created_ms = ? AND id < ?))";
    params.emplace_back(query.after->created_ms);
    params.emplace_back(query.after->created_ms);
    params.emplace_back(query.after->id);
  }
  sql += " ORDER BY created_ms DESC, id DESC LIMIT ?";
  params.emplace_back(query.limit + 1);  // one more: is there a next page?
  return statement;
}

Task<Result<Json>> LogReader::Page(std::string_view table, std::string app_id, LogQuery query) {
  const bool logged = table == "log_entries";
  sql::Statement statement = LogPageQuery(table, app_id, query);
  auto rows = co_await db_.Query(std::move(statement.sql), std::move(statement.params));
  if (!rows) co_return std::move(rows).error();

  Json items = Json::array();
  const std::size_t shown = std::min(rows->rows.size(), static_cast<std::size_t>(query.limit));
  for (std::size_t i = 0; i < shown; ++i) {
    Json item = {{"id", rows->Int(i, 0).value_or(0)},
                 {"event", rows->Text(i, 1).value_or("")},
                 {"timestamp", FormatRfc3339(rows->Int(i, 3).value_or(0))},
                 {"received_at", FormatRfc3339(rows->Int(i, 2).value_or(0))}};
    auto user = rows->Text(i, 4);
    item["user_id"] = user ? Json(*user) : Json(nullptr);
    item["properties"] = ParseStored(rows->Text(i, 5), Json::object());
    if (logged) item["valid"] = rows->Int(i, 6).value_or(0) == 1;
    item["violations"] = ParseStored(rows->Text(i, 7), Json::array());
    auto version = rows->Int(i, 8);
    item["rules_version"] = version ? Json(*version) : Json(nullptr);
    items.push_back(std::move(item));
  }
  Json page = {{"items", std::move(items)}, {"next_cursor", nullptr}};
  if (rows->rows.size() > shown && shown > 0)
    page["next_cursor"] =
        EncodeLogCursor({rows->Int(shown - 1, 2).value_or(0), rows->Int(shown - 1, 0).value_or(0)});
  co_return page;
}

}  // namespace keel::validation
