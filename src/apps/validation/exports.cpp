// Exports: the rows, the job that writes the chunks, and reading them back.
#include "apps/validation/exports.hpp"

#include <limits>

#include <fmt/format.h>

#include "core/random.hpp"
#include "core/rfc3339.hpp"
#include "jobs/job_context.hpp"

namespace keel::validation {

namespace {

constexpr std::size_t kChunkBytes = 256 * 1024;
constexpr std::int64_t kPageRows = 1000;
constexpr int kExportAttempts = 3;

constexpr std::string_view kColumns =
    "id, app_id, format, since_ms, until_ms, state, job_id, events, bytes, created_at, finished_at";

ExportRecord ReadRecord(const sql::Rows& rows, std::size_t i) {
  ExportRecord record;
  record.id = std::string(rows.Text(i, 0).value_or(""));
  record.app_id = std::string(rows.Text(i, 1).value_or(""));
  record.format = ParseExportFormat(rows.Text(i, 2).value_or("")).value_or(ExportFormat::kNdjson);
  record.since_ms = rows.Int(i, 3);
  record.until_ms = rows.Int(i, 4).value_or(0);
  record.state = std::string(rows.Text(i, 5).value_or(""));
  record.job_id = rows.Int(i, 6);
  record.events = rows.Int(i, 7).value_or(0);
  record.bytes = rows.Int(i, 8).value_or(0);
  record.created_at = std::string(rows.Text(i, 9).value_or(""));
  if (auto finished = rows.Text(i, 10)) record.finished_at = std::string(*finished);
  return record;
}

Error NoExport() { return Error{ErrorCode::kNotFound, "no such export"}; }

// Writes the export's chunks; the number of events and bytes written.
Result<std::pair<std::int64_t, std::int64_t>> WriteChunks(sql::Database& db, jobs::JobContext& job,
                                                          const ExportRecord& record) {
  auto counted = job.Await(
      db.Query("SELECT COUNT(*) FROM log_entries WHERE app_id = ? AND created_ms >= ? AND created_ms < ?",
               sql::Args(record.app_id, record.since_ms.value_or(0), record.until_ms)));
  if (!counted) return std::move(counted).error();
  const std::int64_t total = counted->Int(0, 0).value_or(0);
  // A retried attempt starts the file again.
  auto cleared =
      job.Await(db.Execute("DELETE FROM validation_export_chunks WHERE export_id = ?", sql::Args(record.id)));
  if (!cleared) return std::move(cleared).error();

  std::string buffer = ExportHeader(record.format);
  std::int64_t seq = 0, events = 0, bytes = 0;
  auto flush = [&]() -> Result<void> {
    if (buffer.empty()) return Ok();
    bytes += static_cast<std::int64_t>(buffer.size());
    auto stored =
        job.Await(db.Execute("INSERT INTO validation_export_chunks (export_id, seq, data) VALUES (?, ?, ?)",
                             sql::Args(record.id, seq++, std::move(buffer))));
    buffer.clear();
    if (!stored) return std::move(stored).error();
    return Ok();
  };
  // Keyset pages, oldest first: after (created_ms, id), starting just before `since`.
  std::int64_t after_created = record.since_ms.value_or(0) - 1;
  std::int64_t after_id = std::numeric_limits<std::int64_t>::max();
  for (;;) {
    if (job.Cancelled())
      return Error{ErrorCode::kUnavailable, "the export was stopped: " + job.CancelReason()};
    auto rows = job.Await(db.Query(
        "SELECT id, event_name, created_ms, event_ms, user_id, properties, valid, violations, rules_version "
        "FROM log_entries WHERE app_id = ? AND created_ms < ? AND (created_ms > ? OR (created_ms = ? AND id "
        "> ?)) "
        "ORDER BY created_ms, id LIMIT ?",
        sql::Args(record.app_id, record.until_ms, after_created, after_created, after_id, kPageRows)));
    if (!rows) return std::move(rows).error();
    for (std::size_t i = 0; i < rows->rows.size(); ++i) {
      ExportedEvent event;
      event.id = rows->Int(i, 0).value_or(0);
      event.event = std::string(rows->Text(i, 1).value_or(""));
      event.created_ms = rows->Int(i, 2).value_or(0);
      event.event_ms = rows->Int(i, 3).value_or(0);
      if (auto user = rows->Text(i, 4)) event.user_id = std::string(*user);
      event.properties = std::string(rows->Text(i, 5).value_or("{}"));
      event.valid = rows->Int(i, 6).value_or(0) == 1;
      event.violations = std::string(rows->Text(i, 7).value_or("[]"));
      event.rules_version = rows->Int(i, 8);
      AppendExportLine(record.format, event, buffer);
      after_created = event.created_ms;
      after_id = event.id;
      ++events;
      if (buffer.size() >= kChunkBytes)
        if (auto flushed = flush(); !flushed) return std::move(flushed).error();
    }
    if (total > 0)
      job.Progress(static_cast<int>(std::min<std::int64_t>(99, events * 100 / total)),
                   fmt::format("{} of {} events", events, total));
    if (static_cast<std::int64_t>(rows->rows.size()) < kPageRows) break;
  }
  if (auto flushed = flush(); !flushed) return std::move(flushed).error();
  return std::pair{events, bytes};
}

Result<nlohmann::json> RunExport(sql::Database& db, const Clock& clock, jobs::JobContext& job) {
  std::string id = job.args().value("export_id", std::string());
  auto rows = job.Await(
      db.Query(fmt::format("SELECT {} FROM validation_exports WHERE id = ?", kColumns), sql::Args(id)));
  if (!rows) return std::move(rows).error();
  if (rows->empty()) return nlohmann::json{{"skipped", "the export was deleted"}};
  ExportRecord record = ReadRecord(*rows, 0);
  auto written = WriteChunks(db, job, record);
  const std::string now = FormatRfc3339(clock.WallMillis());
  if (!written) {
    if (job.attempt() >= kExportAttempts)
      (void)job.Await(
          db.Execute("UPDATE validation_exports SET state = 'failed', finished_at = ? WHERE id = ?",
                     sql::Args(now, id)));
    return std::move(written).error();
  }
  auto [events, bytes] = *written;
  auto done = job.Await(db.Execute(
      "UPDATE validation_exports SET state = 'ready', events = ?, bytes = ?, finished_at = ? WHERE id = ?",
      sql::Args(events, bytes, now, id)));
  if (!done) return std::move(done).error();
  job.Progress(100, fmt::format("{} events, {} bytes", events, bytes));
  return nlohmann::json{{"export_id", id}, {"events", events}, {"bytes", bytes}};
}

}  // namespace

Task<Result<ExportRecord>> Exports::Start(std::string owner_id, std::string app_id, ExportFormat format,
                                          std::optional<std::int64_t> since_ms,
                                          std::optional<std::int64_t> until_ms) {
  const std::int64_t now = clock_.WallMillis();
  ExportRecord record;
  record.id = NewId();
  record.app_id = app_id;
  record.format = format;
  record.since_ms = since_ms;
  record.until_ms = until_ms.value_or(now);
  record.state = "running";
  record.created_at = FormatRfc3339(now);
  jobs::JobRequest request;
  request.kind = kExportKind;
  request.args = {{"export_id", record.id}};
  request.owner_id = owner_id;
  std::string queue = jobs_.QueueOf(request);
  auto done = co_await db_.Transaction([&](sql::Session& session) -> Task<Result<void>> {
    auto owned = co_await session.Query("SELECT 1 FROM validation_apps WHERE id = ? AND owner_id = ?",
                                        sql::Args(app_id, owner_id));
    if (!owned) co_return std::move(owned).error();
    if (owned->empty()) co_return Error{ErrorCode::kNotFound, "no such app"};
    auto enqueued = co_await jobs_.Enqueue(session, request);
    if (!enqueued) co_return std::move(enqueued).error();
    record.job_id = enqueued->id;
    // Named first: no temporaries inside the co_await below (g++ 12 coroutines mishandle some).
    sql::Value since = record.since_ms ? sql::Value(*record.since_ms) : sql::Value(nullptr);
    std::string format_name(ExportFormatName(format));
    sql::Params row = sql::Args(record.id, app_id, owner_id, format_name, since, record.until_ms,
                                *record.job_id, record.created_at);
    auto inserted = co_await session.Execute(
        "INSERT INTO validation_exports (id, app_id, owner_id, format, since_ms, until_ms, state, job_id, "
        "events, "
        "bytes, created_at) VALUES (?, ?, ?, ?, ?, ?, 'running', ?, 0, 0, ?)",
        std::move(row));
    if (!inserted) co_return std::move(inserted).error();
    co_return Ok();
  });
  if (!done) co_return std::move(done).error();
  jobs_.Wake(queue);
  co_return record;
}

Task<Result<ExportRecord>> Exports::Find(std::string owner_id, std::string id) {
  auto rows = co_await db_.Query(
      fmt::format("SELECT {} FROM validation_exports WHERE id = ? AND owner_id = ?", kColumns),
      sql::Args(std::move(id), std::move(owner_id)));
  if (!rows) co_return std::move(rows).error();
  if (rows->empty()) co_return NoExport();
  co_return ReadRecord(*rows, 0);
}

Task<Result<std::optional<std::string>>> Exports::Chunk(std::string id, std::int64_t seq) {
  auto rows = co_await db_.Query("SELECT data FROM validation_export_chunks WHERE export_id = ? AND seq = ?",
                                 sql::Args(std::move(id), seq));
  if (!rows) co_return std::move(rows).error();
  if (rows->empty()) co_return std::optional<std::string>();
  co_return std::optional<std::string>(std::string(rows->Text(0, 0).value_or("")));
}

nlohmann::ordered_json ExportJson(const ExportRecord& record) {
  using Json = nlohmann::ordered_json;
  Json json = {{"id", record.id},
               {"app_id", record.app_id},
               {"format", ExportFormatName(record.format)},
               {"since", record.since_ms ? Json(FormatRfc3339(*record.since_ms)) : Json(nullptr)},
               {"until", FormatRfc3339(record.until_ms)},
               {"state", record.state},
               {"events", record.events},
               {"bytes", record.bytes},
               {"job_id", record.job_id ? Json(*record.job_id) : Json(nullptr)},
               {"created_at", record.created_at},
               {"finished_at", record.finished_at ? Json(*record.finished_at) : Json(nullptr)}};
  json["download"] =
      record.state == "ready" ? Json(fmt::format("/api/v1/exports/{}/download", record.id)) : Json(nullptr);
  return json;
}

void AddExportJob(sql::Database& db, const Clock& clock, jobs::JobKinds& kinds) {
  auto kind = jobs::JobKind::Make(kExportKind, "batch_processing",
                                  [&db, &clock](jobs::JobContext& job) { return RunExport(db, clock, job); });
  kind.max_attempts = kExportAttempts;
  kind.timeout = std::chrono::minutes(30);
  kinds.Add(std::move(kind));
}

}  // namespace keel::validation
