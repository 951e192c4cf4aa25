#include "apps/image2model/batch_store.hpp"

#include <algorithm>
#include <functional>
#include <map>

#include <fmt/format.h>

#include "core/rfc3339.hpp"
#include "jobs/job_queue.hpp"
#include "storage/blobs/blob_refs.hpp"
#include "storage/sql/database.hpp"

namespace keel::image2model {

namespace {

constexpr std::string_view kFileColumns =
    "id, batch_id, position, filename, media_type, width, height, input_sha256, input_size, status, stage, "
    "progress, error, attempts, glb_sha256, stl_sha256, obj_sha256, thumbnail_sha256, triangles, expires_ms, "
    "updated_ms, remote_request_id";
constexpr std::string_view kBatchColumns =
    "id, owner_id, status, format, generator, quality, priority, webhook_url, created_ms, updated_ms, "
    "finished_ms, "
    "file_count";

std::string TextAt(const sql::Rows& rows, std::size_t r, std::size_t c) {
  return std::string(rows.Text(r, c).value_or(""));
}
std::optional<std::string> OptionalText(const sql::Rows& rows, std::size_t r, std::size_t c) {
  auto text = rows.Text(r, c);
  return text ? std::optional<std::string>(std::string(*text)) : std::nullopt;
}

FileRecord FileFrom(const sql::Rows& rows, std::size_t r) {
  FileRecord f;
  f.id = TextAt(rows, r, 0);
  f.batch_id = TextAt(rows, r, 1);
  f.position = rows.Int(r, 2).value_or(0);
  f.filename = TextAt(rows, r, 3);
  f.media_type = TextAt(rows, r, 4);
  f.width = rows.Int(r, 5).value_or(0);
  f.height = rows.Int(r, 6).value_or(0);
  f.input_sha256 = TextAt(rows, r, 7);
  f.input_size = rows.Int(r, 8).value_or(0);
  f.status = TextAt(rows, r, 9);
  f.stage = TextAt(rows, r, 10);
  f.progress = rows.Int(r, 11).value_or(0);
  f.error = OptionalText(rows, r, 12);
  f.attempts = rows.Int(r, 13).value_or(0);
  if (auto glb = OptionalText(rows, r, 14)) {
    f.results = ResultBlobs{{*glb, 0},
                            {TextAt(rows, r, 15), 0},
                            {TextAt(rows, r, 16), 0},
                            {TextAt(rows, r, 17), 0},
                            static_cast<std::size_t>(rows.Int(r, 18).value_or(0))};
  }
  f.expires_ms = rows.Int(r, 19);
  f.updated_ms = rows.Int(r, 20).value_or(0);
  f.remote_request_id = TextAt(rows, r, 21);
  return f;
}

BatchRecord BatchFrom(const sql::Rows& rows, std::size_t r) {
  BatchRecord b;
  b.id = TextAt(rows, r, 0);
  b.owner_id = TextAt(rows, r, 1);
  b.status = TextAt(rows, r, 2);
  b.format = TextAt(rows, r, 3);
  b.generator = TextAt(rows, r, 4);
  b.quality = TextAt(rows, r, 5);
  b.priority = rows.Int(r, 6).value_or(0) != 0;
  b.webhook_url = OptionalText(rows, r, 7);
  b.created_ms = rows.Int(r, 8).value_or(0);
  b.updated_ms = rows.Int(r, 9).value_or(0);
  b.finished_ms = rows.Int(r, 10);
  b.file_count = rows.Int(r, 11).value_or(0);
  return b;
}

// The batch's status from its files' counts by status.
std::string StatusFrom(const std::map<std::string, std::int64_t>& counts) {
  auto count = [&](const char* status) {
    auto it = counts.find(status);
    return it == counts.end() ? 0 : it->second;
  };
  std::int64_t total = 0;
  for (const auto& [status, n] : counts) total += n;
  if (count("processing") > 0) return "processing";
  if (count("queued") > 0) return count("queued") == total ? "queued" : "processing";
  if (total > 0 && count("completed") == total) return "completed";
  if (count("completed") > 0) return "partial";
  if (count("failed") > 0) return "failed";
  return "cancelled";
}

// Statements and lists built outside the coroutines: g++ 12 miscompiles braced initializers of non-trivial
// types inside them.
sql::Statement InputRef(const FileRecord& file) {
  return blobs::AddRef(blobs::BlobInfo{file.input_sha256, static_cast<std::uint64_t>(file.input_size)});
}
sql::Statement ResultRef(const blobs::BlobInfo& blob) { return blobs::AddRef(blob); }
std::vector<std::string> BlobsOf(const FileRecord& file) {
  std::vector<std::string> blobs{file.input_sha256};
  if (file.results)
    for (const auto* blob :
         {&file.results->glb, &file.results->stl, &file.results->obj, &file.results->thumbnail})
      blobs.push_back(blob->sha256);
  return blobs;
}

jobs::JobRequest WebhookJob(const std::string& batch_id, const std::string& owner_id) {
  jobs::JobRequest job;
  job.kind = "image2model.webhook";
  job.args["batch_id"] = batch_id;
  job.owner_id = owner_id;
  job.unique_key = fmt::format("image2model:webhook:{}", batch_id);
  return job;
}

}  // namespace

std::string GenerationJobKey(std::string_view file_id) { return fmt::format("image2model:file:{}", file_id); }

std::string UtcDay(std::int64_t unix_ms) { return FormatRfc3339(unix_ms).substr(0, 10); }

bool BatchRecord::Finished() const {
  return status == "completed" || status == "partial" || status == "failed" || status == "cancelled";
}

Task<Result<std::uint64_t>> BatchStore::UploadedToday(std::string owner_id) {
  std::string day = UtcDay(clock_.WallMillis());
  auto rows = co_await database_.Query("SELECT bytes FROM i2m_usage WHERE owner_id = ? AND day = ?",
                                       sql::Args(std::move(owner_id), std::move(day)));
  if (!rows) co_return std::move(rows).error();
  co_return static_cast<std::uint64_t>(rows->empty() ? 0 : rows->Int(0, 0).value_or(0));
}

Task<Result<void>> BatchStore::Create(const BatchRecord& batch, std::uint64_t daily_limit) {
  std::uint64_t bytes = 0;
  for (const FileRecord& file : batch.files) bytes += static_cast<std::uint64_t>(file.input_size);
  const std::int64_t now = clock_.WallMillis();
  const std::int64_t expires =
      now + std::chrono::duration_cast<std::chrono::milliseconds>(result_ttl_).count();
  std::function<Task<Result<void>>(sql::Session&)> body = [&](sql::Session& session) -> Task<Result<void>> {
    auto used = co_await session.Query(
        "INSERT INTO i2m_usage (owner_id, day, bytes, files) VALUES (?, ?, ?, ?) ON CONFLICT (owner_id, day) "
        "DO UPDATE SET bytes = i2m_usage.bytes + excluded.bytes, files = i2m_usage.files + excluded.files "
        "RETURNING bytes",
        sql::Args(batch.owner_id, UtcDay(now), static_cast<std::int64_t>(bytes),
                  static_cast<std::int64_t>(batch.files.size())));
    if (!used) co_return std::move(used).error();
    if (!used->empty() && static_cast<std::uint64_t>(used->Int(0, 0).value_or(0)) > daily_limit)
      co_return Error{ErrorCode::kRateLimited,
                      fmt::format("this upload would take today's uploads over the daily quota of {} MiB",
                                  daily_limit >> 20)};
    sql::Value webhook = nullptr;
    if (batch.webhook_url) webhook = *batch.webhook_url;
    sql::Params batch_row = sql::Args(batch.id, batch.owner_id, batch.format, batch.generator, batch.quality,
                                      batch.priority ? 1 : 0, std::move(webhook),
                                      static_cast<std::int64_t>(batch.files.size()), now, now);  // file_count
    auto inserted = co_await session.Execute(
        "INSERT INTO i2m_batches (id, owner_id, status, format, generator, quality, priority, webhook_url, "
        "file_count, created_ms, updated_ms) VALUES (?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?)",
        std::move(batch_row));
    if (!inserted) co_return std::move(inserted).error();
    for (const FileRecord& file : batch.files) {
      auto row = co_await session.Execute(
          "INSERT INTO i2m_files (id, batch_id, position, filename, media_type, width, height, input_sha256, "
          "input_size, status, stage, progress, expires_ms, updated_ms) "
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', 'queued', 0, ?, ?)",
          sql::Args(file.id, batch.id, file.position, file.filename, file.media_type, file.width, file.height,
                    file.input_sha256, file.input_size, expires, now));
      if (!row) co_return std::move(row).error();
      sql::Statement ref = InputRef(file);
      auto counted = co_await session.Execute(std::move(ref.sql), std::move(ref.params));
      if (!counted) co_return std::move(counted).error();
    }
    jobs::JobRequest job;
    job.kind = std::string(kBatchJob);
    job.args["batch_id"] = batch.id;
    job.owner_id = batch.owner_id;
    job.unique_key = fmt::format("image2model:batch:{}", batch.id);
    auto enqueued = co_await jobs_.Enqueue(session, std::move(job));
    if (!enqueued) co_return std::move(enqueued).error();
    co_return Ok();
  };
  auto created = co_await database_.Transaction(body);
  if (created) jobs_.Wake("batch_processing");
  co_return created;
}

Task<Result<std::optional<BatchRecord>>> BatchStore::Find(std::string batch_id) {
  constexpr std::int64_t kKeepFinishedMs = 30'000;
  constexpr std::size_t kMaxFinished = 4096;
  const std::int64_t now = clock_.WallMillis();
  {
    std::lock_guard lock(finished_mutex_);
    auto kept = finished_.find(batch_id);
    if (kept != finished_.end() && kept->second.second > now)
      co_return std::optional<BatchRecord>(kept->second.first);
  }
  std::string batch_sql = fmt::format("SELECT {} FROM i2m_batches WHERE id = ?", kBatchColumns);
  auto batches = co_await database_.Query(std::move(batch_sql), sql::Args(batch_id));
  if (!batches) co_return std::move(batches).error();
  if (batches->empty()) co_return std::optional<BatchRecord>();
  BatchRecord batch = BatchFrom(*batches, 0);
  std::string files_sql =
      fmt::format("SELECT {} FROM i2m_files WHERE batch_id = ? ORDER BY position", kFileColumns);
  auto files = co_await database_.Query(std::move(files_sql), sql::Args(std::move(batch_id)));
  if (!files) co_return std::move(files).error();
  for (std::size_t r = 0; r < files->rows.size(); ++r) batch.files.push_back(FileFrom(*files, r));
  if (batch.Finished()) {
    std::lock_guard lock(finished_mutex_);
    if (finished_.size() >= kMaxFinished) finished_.clear();  // crude, and rare: a burst of distinct batches
    finished_.insert_or_assign(batch.id, std::make_pair(batch, now + kKeepFinishedMs));
  }
  co_return std::optional<BatchRecord>(std::move(batch));
}

Task<Result<std::optional<std::pair<FileRecord, std::string>>>> BatchStore::FindFile(std::string file_id) {
  std::string sql = fmt::format(
      "SELECT f.{}, b.owner_id FROM i2m_files f JOIN i2m_batches b ON b.id = f.batch_id WHERE f.id = ?", [] {
        std::string prefixed;
        std::string_view columns = kFileColumns;
        while (!columns.empty()) {
          auto comma = columns.find(", ");
          prefixed += (prefixed.empty() ? "" : ", f.") + std::string(columns.substr(0, comma));
          columns = comma == std::string_view::npos ? std::string_view() : columns.substr(comma + 2);
        }
        return prefixed;
      }());
  auto rows = co_await database_.Query(std::move(sql), sql::Args(std::move(file_id)));
  if (!rows) co_return std::move(rows).error();
  if (rows->empty()) co_return std::optional<std::pair<FileRecord, std::string>>();
  co_return std::optional<std::pair<FileRecord, std::string>>(
      std::make_pair(FileFrom(*rows, 0), TextAt(*rows, 0, 22)));
}

Task<Result<std::optional<std::int64_t>>> BatchStore::QueuePosition(const BatchRecord& batch) {
  if (std::none_of(batch.files.begin(), batch.files.end(),
                   [](const FileRecord& f) { return f.status == "queued"; }))
    co_return std::optional<std::int64_t>();
  const std::int64_t priority = batch.priority ? 1 : 0;
  auto ahead = co_await database_.Query(
      "SELECT COUNT(*) FROM i2m_files f JOIN i2m_batches b ON b.id = f.batch_id WHERE f.status = 'queued' "
      "AND "
      "(b.priority > ? OR (b.priority = ? AND (b.created_ms < ? OR (b.created_ms = ? AND b.id < ?))))",
      sql::Args(priority, priority, batch.created_ms, batch.created_ms, batch.id));
  if (!ahead) co_return std::move(ahead).error();
  co_return std::optional<std::int64_t>(ahead->Int(0, 0).value_or(0));
}

Task<Result<BatchPage>> BatchStore::List(std::string owner_id, std::int64_t limit, std::int64_t offset) {
  BatchPage page;
  auto total =
      co_await database_.Query("SELECT COUNT(*) FROM i2m_batches WHERE owner_id = ?", sql::Args(owner_id));
  if (!total) co_return std::move(total).error();
  page.total = total->Int(0, 0).value_or(0);
  std::string sql = fmt::format(
      "SELECT {} FROM i2m_batches WHERE owner_id = ? ORDER BY created_ms DESC, id LIMIT ? OFFSET ?",
      kBatchColumns);
  auto rows = co_await database_.Query(std::move(sql), sql::Args(std::move(owner_id), limit, offset));
  if (!rows) co_return std::move(rows).error();
  for (std::size_t r = 0; r < rows->rows.size(); ++r) page.batches.push_back(BatchFrom(*rows, r));
  co_return page;
}

Task<Result<void>> BatchStore::RecomputeBatch(sql::Session& session, const std::string& batch_id,
                                              std::int64_t now_ms) {
  // Read (and on PostgreSQL lock) the batch's row before counting its files. PostgreSQL runs concurrent
  // completions side by side (READ COMMITTED): two files finishing at once would each count the other as
  // unfinished and leave the batch processing forever. Holding the lock, the count is a statement that
  // starts after the other transaction committed. (SQLite's write transactions are serial already.)
  auto before = co_await session.Query(
      fmt::format("SELECT finished_ms, webhook_url, owner_id FROM i2m_batches WHERE id = ?{}",
                  database_.Backend() == "postgres" ? " FOR UPDATE" : ""),
      sql::Args(batch_id));
  if (!before) co_return std::move(before).error();
  auto counts = co_await session.Query(
      "SELECT status, COUNT(*) FROM i2m_files WHERE batch_id = ? GROUP BY status", sql::Args(batch_id));
  if (!counts) co_return std::move(counts).error();
  std::map<std::string, std::int64_t> by_status;
  for (std::size_t r = 0; r < counts->rows.size(); ++r)
    by_status[TextAt(*counts, r, 0)] = counts->Int(r, 1).value_or(0);
  std::string status = StatusFrom(by_status);
  bool finished = status != "queued" && status != "processing";
  if (finished && !before->empty() && !before->Int(0, 0) && before->Text(0, 1)) {
    // It finishes now: its webhook is delivered by a job that commits with this change, or not at all.
    auto enqueued = co_await jobs_.Enqueue(session, WebhookJob(batch_id, TextAt(*before, 0, 2)));
    if (!enqueued) co_return std::move(enqueued).error();
  }
  auto updated = co_await session.Execute(
      "UPDATE i2m_batches SET status = ?, updated_ms = ?, "
      "finished_ms = CASE WHEN ? = 1 THEN COALESCE(finished_ms, ?) ELSE NULL END WHERE id = ?",
      sql::Args(status, now_ms, finished ? 1 : 0, now_ms, batch_id));
  if (!updated) co_return std::move(updated).error();
  co_return Ok();
}

Task<Result<BatchRecord>> BatchStore::Cancel(std::string batch_id) {
  const std::int64_t now = clock_.WallMillis();
  std::function<Task<Result<void>>(sql::Session&)> body = [&](sql::Session& session) -> Task<Result<void>> {
    auto running = co_await session.Query(
        "SELECT id FROM i2m_files WHERE batch_id = ? AND status IN ('queued', 'processing')",
        sql::Args(batch_id));
    if (!running) co_return std::move(running).error();
    for (std::size_t r = 0; r < running->rows.size(); ++r) {
      auto cancelled =
          co_await jobs_.store().CancelUnique(session, GenerationJobKey(TextAt(*running, r, 0)), now);
      if (!cancelled) co_return std::move(cancelled).error();
    }
    auto files = co_await session.Execute(
        "UPDATE i2m_files SET status = 'cancelled', stage = 'cancelled', updated_ms = ? "
        "WHERE batch_id = ? AND status IN ('queued', 'processing')",
        sql::Args(now, batch_id));
    if (!files) co_return std::move(files).error();
    // A batch job still waiting to fan out has nothing left to do.
    auto fan_out =
        co_await jobs_.store().CancelUnique(session, fmt::format("image2model:batch:{}", batch_id), now);
    if (!fan_out) co_return std::move(fan_out).error();
    co_return co_await RecomputeBatch(session, batch_id, now);
  };
  auto done = co_await database_.Transaction(body);
  if (!done) co_return std::move(done).error();
  auto batch = co_await Find(std::move(batch_id));
  if (!batch) co_return std::move(batch).error();
  if (!*batch) co_return Error{ErrorCode::kNotFound, "no such batch"};
  co_return std::move(**batch);
}

Task<Result<bool>> BatchStore::SetProgress(std::string file_id, std::string stage, std::int64_t progress,
                                           bool new_attempt) {
  const std::int64_t now = clock_.WallMillis();
  bool moved = false;
  std::function<Task<Result<void>>(sql::Session&)> body = [&](sql::Session& session) -> Task<Result<void>> {
    auto rows = co_await session.Query(
        "UPDATE i2m_files SET status = 'processing', stage = ?, progress = ?, attempts = attempts + ?, "
        "updated_ms = ? "
        "WHERE id = ? AND status IN ('queued', 'processing') RETURNING batch_id",
        sql::Args(stage, progress, new_attempt ? 1 : 0, now, file_id));
    if (!rows) co_return std::move(rows).error();
    moved = !rows->empty();
    if (!moved || !new_attempt) co_return Ok();
    // The first progress of an attempt may move the batch from queued to processing.
    auto batch = co_await session.Execute(
        "UPDATE i2m_batches SET status = 'processing', updated_ms = ? WHERE id = ? AND status = 'queued'",
        sql::Args(now, TextAt(*rows, 0, 0)));
    if (!batch) co_return std::move(batch).error();
    co_return Ok();
  };
  auto done = co_await database_.Transaction(body);
  if (!done) co_return std::move(done).error();
  co_return moved;
}

Task<Result<void>> BatchStore::SetRemoteRequest(std::string file_id, std::string request_id) {
  auto written = co_await database_.Execute("UPDATE i2m_files SET remote_request_id = ? WHERE id = ?",
                                            sql::Args(std::move(request_id), std::move(file_id)));
  if (!written) co_return std::move(written).error();
  co_return Ok();
}

Task<Result<bool>> BatchStore::Complete(std::string file_id, ResultBlobs results) {
  const std::int64_t now = clock_.WallMillis();
  const std::int64_t expires =
      now + std::chrono::duration_cast<std::chrono::milliseconds>(result_ttl_).count();
  bool stored = false;
  std::function<Task<Result<void>>(sql::Session&)> body = [&](sql::Session& session) -> Task<Result<void>> {
    auto rows = co_await session.Query(
        "UPDATE i2m_files SET status = 'completed', stage = 'done', progress = 100, error = NULL, glb_sha256 "
        "= ?, "
        "stl_sha256 = ?, obj_sha256 = ?, thumbnail_sha256 = ?, triangles = ?, expires_ms = ?, updated_ms = ? "
        "WHERE id = ? AND status IN ('queued', 'processing') RETURNING batch_id",
        sql::Args(results.glb.sha256, results.stl.sha256, results.obj.sha256, results.thumbnail.sha256,
                  static_cast<std::int64_t>(results.triangles), expires, now, file_id));
    if (!rows) co_return std::move(rows).error();
    if (rows->empty()) co_return Ok();
    stored = true;
    for (const blobs::BlobInfo* blob : {&results.glb, &results.stl, &results.obj, &results.thumbnail}) {
      sql::Statement ref = ResultRef(*blob);
      auto counted = co_await session.Execute(std::move(ref.sql), std::move(ref.params));
      if (!counted) co_return std::move(counted).error();
    }
    co_return co_await RecomputeBatch(session, TextAt(*rows, 0, 0), now);
  };
  auto done = co_await database_.Transaction(body);
  if (!done) co_return std::move(done).error();
  co_return stored;
}

Task<Result<void>> BatchStore::Fail(std::string file_id, std::string error) {
  const std::int64_t now = clock_.WallMillis();
  std::function<Task<Result<void>>(sql::Session&)> body = [&](sql::Session& session) -> Task<Result<void>> {
    auto rows = co_await session.Query(
        "UPDATE i2m_files SET status = 'failed', stage = 'failed', error = ?, updated_ms = ? "
        "WHERE id = ? AND status IN ('queued', 'processing') RETURNING batch_id",
        sql::Args(error, now, file_id));
    if (!rows) co_return std::move(rows).error();
    if (rows->empty()) co_return Ok();
    co_return co_await RecomputeBatch(session, TextAt(*rows, 0, 0), now);
  };
  co_return co_await database_.Transaction(body);
}

Task<Result<std::int64_t>> BatchStore::Expire() {
  const std::int64_t now = clock_.WallMillis();
  std::int64_t expired = 0;
  std::function<Task<Result<void>>(sql::Session&)> body = [&](sql::Session& session) -> Task<Result<void>> {
    std::string select = fmt::format(
        "SELECT {} FROM i2m_files WHERE expires_ms < ? AND input_sha256 <> '' AND status IN ('completed', "
        "'failed', "
        "'cancelled') LIMIT 500",
        kFileColumns);
    auto rows = co_await session.Query(std::move(select), sql::Args(now));
    if (!rows) co_return std::move(rows).error();
    for (std::size_t r = 0; r < rows->rows.size(); ++r) {
      FileRecord file = FileFrom(*rows, r);
      for (const std::string& blob : BlobsOf(file)) {
        sql::Statement release = blobs::Release(blob, now);
        auto done = co_await session.Execute(std::move(release.sql), std::move(release.params));
        if (!done) co_return std::move(done).error();
      }
      auto cleared = co_await session.Execute(
          "UPDATE i2m_files SET input_sha256 = '', glb_sha256 = NULL, stl_sha256 = NULL, obj_sha256 = NULL, "
          "thumbnail_sha256 = NULL WHERE id = ?",
          sql::Args(file.id));
      if (!cleared) co_return std::move(cleared).error();
      ++expired;
    }
    co_return Ok();
  };
  auto done = co_await database_.Transaction(body);
  if (!done) co_return std::move(done).error();
  co_return expired;
}

}  // namespace keel::image2model
