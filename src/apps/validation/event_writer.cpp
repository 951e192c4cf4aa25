// EventWriter: the INSERT statements of both backends.
#include "apps/validation/event_writer.hpp"

#include <fmt/format.h>

#include "apps/validation/chunked_values.hpp"
#include "core/json_text.hpp"

namespace keel::validation {

namespace {

bool Logged(std::string_view table) { return table == "log_entries"; }

std::string Columns(std::string_view table) {
  return Logged(table) ? "app_id, event_name, created_ms, event_ms, user_id, properties, valid, violations, "
                         "rules_version"
                       : "app_id, event_name, created_ms, event_ms, user_id, properties, violations, "
                         "rules_version";
}

sql::Value OrNull(const std::optional<std::string>& text) {
  return text ? sql::Value(*text) : sql::Value(nullptr);
}

sql::Value OrNull(const std::optional<std::int64_t>& number) {
  return number ? sql::Value(*number) : sql::Value(nullptr);
}

void AppendRow(sql::Params& params, std::string_view table, const StoredEvent& row) {
  params.emplace_back(row.app_id);
  params.emplace_back(row.event_name);
  params.emplace_back(row.created_ms);
  params.emplace_back(row.event_ms);
  params.push_back(OrNull(row.user_id));
  params.emplace_back(row.properties);
  if (Logged(table)) params.emplace_back(std::int64_t{row.valid ? 1 : 0});
  if (Logged(table) && row.valid)
    params.emplace_back(nullptr);
  else
    params.emplace_back(row.violations);
  params.push_back(OrNull(row.rules_version));
}

std::vector<sql::Statement> SqliteInserts(std::string_view table, const std::vector<StoredEvent>& rows) {
  return ChunkedValues(fmt::format("INSERT INTO {} ({}) VALUES", table, Columns(table)), "",
                       Logged(table) ? 9 : 8, rows.size(),
                       [&](sql::Params& params, std::size_t i) { AppendRow(params, table, rows[i]); });
}

void AppendJsonField(std::string& out, std::string_view name, const std::optional<std::string>& text) {
  out += ",\"";
  out += name;
  out += "\":";
  if (text)
    AppendJsonString(out, *text);
  else
    out += "null";
}

std::vector<sql::Statement> PostgresInserts(std::string_view table, const std::vector<StoredEvent>& rows) {
  std::string json = "[";
  for (const auto& row : rows) {
    if (json.size() > 1) json += ',';
    json += "{\"app_id\":";
    AppendJsonString(json, row.app_id);
    AppendJsonField(json, "event_name", row.event_name);
    json += fmt::format(",\"created_ms\":{},\"event_ms\":{}", row.created_ms, row.event_ms);
    AppendJsonField(json, "user_id", row.user_id);
    AppendJsonField(json, "properties", row.properties);
    if (Logged(table)) json += fmt::format(",\"valid\":{}", row.valid ? 1 : 0);
    AppendJsonField(json, "violations",
                    Logged(table) && row.valid ? std::nullopt : std::optional<std::string>(row.violations));
    json += row.rules_version ? fmt::format(",\"rules_version\":{}}}", *row.rules_version)
                              : std::string(",\"rules_version\":null}");
  }
  json += ']';
  std::string types = Logged(table)
                          ? "app_id text, event_name text, created_ms bigint, event_ms bigint, user_id text, "
                            "properties text, valid smallint, violations text, rules_version bigint"
                          : "app_id text, event_name text, created_ms bigint, event_ms bigint, user_id text, "
                            "properties text, violations text, rules_version bigint";
  std::vector<sql::Statement> statements;
  statements.push_back(
      {fmt::format("INSERT INTO {0} ({1}) SELECT {1} FROM jsonb_to_recordset(?::jsonb) AS r({2})", table,
                   Columns(table), types),
       sql::Args(std::move(json))});
  return statements;
}

}  // namespace

std::vector<sql::Statement> InsertEvents(std::string_view backend, std::string_view table,
                                         const std::vector<StoredEvent>& rows) {
  if (rows.empty()) return {};
  return backend == "postgres" ? PostgresInserts(table, rows) : SqliteInserts(table, rows);
}

Task<Result<void>> EventWriter::Write(const std::vector<StoredEvent>& logged,
                                      const std::vector<StoredEvent>& failed) {
  std::vector<sql::Statement> statements = InsertEvents(db_.Backend(), "log_entries", logged);
  for (auto& statement : InsertEvents(db_.Backend(), "failed_events", failed))
    statements.push_back(std::move(statement));
  if (statements.empty()) co_return Ok();
  co_return co_await db_.WriteAll(std::move(statements));
}

}  // namespace keel::validation
