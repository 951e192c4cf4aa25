// JobStore: every statement of the queue. Claims, completions and heartbeats are single statements so they
// ride the SQLite group commit; enqueue can also run inside a caller's transaction.
#include "jobs/job_store.hpp"

#include <algorithm>
#include <functional>
#include <tuple>
#include <utility>

#include <fmt/format.h>

namespace keel::jobs {
namespace {

using RunSql = std::function<Task<Result<sql::Rows>>(std::string, sql::Params)>;

// The `errors` JSON array with one more entry {attempt, at (the next `?`), error, worker}. JSON functions are
// where the two SQL dialects part: SQLite's json1 against PostgreSQL's jsonb (the column is text in both).
std::string ErrorsWithAttempt(std::string_view backend, std::string_view error) {
  if (backend == "postgres")
    return fmt::format(
        "CAST(CAST(errors AS jsonb) || jsonb_build_array(jsonb_build_object('attempt', attempt, 'at', ?, "
        "'error', {}, 'worker', lease_owner)) AS TEXT)",
        error);
  return fmt::format(
      "json_insert(errors, '$[#]', json_object('attempt', attempt, 'at', ?, 'error', {}, "
      "'worker', lease_owner))",
      error);
}

constexpr const char* kLiveStates = "('available', 'scheduled', 'running', 'retryable')";
constexpr const char* kJobColumns =
    "id, kind, queue, args, priority, state, run_at, attempt, max_attempts, lease_owner, lease_expires_at, "
    "progress, progress_message, result, errors, unique_key, owner_id, created_at, started_at, finished_at, "
    "updated_at";

std::string TextOr(const sql::Rows& rows, std::size_t row, std::size_t column) {
  auto text = rows.Text(row, column);
  return text ? std::string(*text) : std::string();
}

std::optional<std::string> OptionalText(const sql::Rows& rows, std::size_t row, std::size_t column) {
  auto text = rows.Text(row, column);
  if (!text) return std::nullopt;
  return std::string(*text);
}

JobRecord RecordAt(const sql::Rows& rows, std::size_t r) {
  JobRecord job;
  job.id = rows.Int(r, 0).value_or(0);
  job.kind = TextOr(rows, r, 1);
  job.queue = TextOr(rows, r, 2);
  job.args = TextOr(rows, r, 3);
  job.priority = rows.Int(r, 4).value_or(0);
  job.state = TextOr(rows, r, 5);
  job.run_at = rows.Int(r, 6).value_or(0);
  job.attempt = rows.Int(r, 7).value_or(0);
  job.max_attempts = rows.Int(r, 8).value_or(0);
  job.lease_owner = OptionalText(rows, r, 9);
  job.lease_expires_at = rows.Int(r, 10);
  job.progress = rows.Int(r, 11).value_or(0);
  job.progress_message = TextOr(rows, r, 12);
  job.result = OptionalText(rows, r, 13);
  job.errors = TextOr(rows, r, 14);
  job.unique_key = OptionalText(rows, r, 15);
  job.owner_id = OptionalText(rows, r, 16);
  job.created_at = rows.Int(r, 17).value_or(0);
  job.started_at = rows.Int(r, 18);
  job.finished_at = rows.Int(r, 19);
  job.updated_at = rows.Int(r, 20).value_or(0);
  return job;
}

// Parameters: now, now, unique key.
std::string CancelUniqueSql() {
  return fmt::format(
      "UPDATE jobs SET state = 'cancelled', finished_at = ?, updated_at = ?, lease_owner = NULL, "
      "lease_expires_at = NULL WHERE unique_key = ? AND state IN {}",
      kLiveStates);
}

sql::Value NullIfEmpty(const std::string& text) {
  if (text.empty()) return nullptr;
  return text;
}

// Inserts the job, or finds the live job holding its unique key. `write` runs the INSERT, `read` the lookup.
Task<Result<Enqueued>> EnqueueWith(RunSql write, RunSql read, JobRequest request, std::int64_t now_ms) {
  std::int64_t run_at = std::max(request.run_at_ms, now_ms);
  std::string state = run_at > now_ms ? "scheduled" : "available";
  // A live duplicate can finish between our INSERT and our lookup; then the INSERT succeeds next time.
  for (int round = 0; round < 3; ++round) {
    auto inserted = co_await write(
        "INSERT INTO jobs (kind, queue, args, priority, state, run_at, max_attempts, unique_key, owner_id, "
        "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING "
        "id",
        sql::Args(request.kind, request.queue, request.args.dump(), request.priority, state, run_at,
                  request.max_attempts, NullIfEmpty(request.unique_key), NullIfEmpty(request.owner_id),
                  now_ms, now_ms));
    if (!inserted) co_return std::move(inserted).error();
    if (!inserted->empty()) co_return Enqueued{inserted->Int(0, 0).value_or(0), true};
    auto live =
        co_await read(fmt::format("SELECT id FROM jobs WHERE unique_key = ? AND state IN {}", kLiveStates),
                      sql::Args(request.unique_key));
    if (!live) co_return std::move(live).error();
    if (!live->empty()) co_return Enqueued{live->Int(0, 0).value_or(0), false};
  }
  co_return Error{ErrorCode::kConflict,
                  fmt::format("job with unique key {} kept changing", request.unique_key)};
}

}  // namespace

Task<Result<Enqueued>> JobStore::Enqueue(JobRequest request, std::int64_t now_ms) {
  RunSql write = [this](std::string sql, sql::Params params) {
    return db_.Write(std::move(sql), std::move(params));
  };
  RunSql read = [this](std::string sql, sql::Params params) {
    return db_.Query(std::move(sql), std::move(params));
  };
  co_return co_await EnqueueWith(write, read, std::move(request), now_ms);
}

Task<Result<Enqueued>> JobStore::Enqueue(sql::Session& session, JobRequest request, std::int64_t now_ms) {
  RunSql run = [&session](std::string sql, sql::Params params) {
    return session.Query(std::move(sql), std::move(params));
  };
  co_return co_await EnqueueWith(run, run, std::move(request), now_ms);
}

Task<Result<std::vector<ClaimedJob>>> JobStore::Claim(std::string queue, std::string worker, int limit,
                                                      std::int64_t now_ms, std::int64_t lease_ms) {
  auto rows = co_await db_.Write(
      fmt::format(
          "UPDATE jobs SET state = 'running', attempt = attempt + 1, lease_owner = ?, lease_expires_at = ?, "
          "lease_token = lease_token + 1, started_at = ?, updated_at = ? "
          "WHERE id IN (SELECT id FROM jobs WHERE queue = ? AND state IN ('available', 'scheduled', "
          "'retryable') "
          "AND run_at <= ? ORDER BY priority DESC, run_at, id LIMIT ?{}) "
          "RETURNING id, kind, queue, args, attempt, max_attempts, lease_token, created_at, run_at, priority",
          // PostgreSQL runs claims concurrently: each skips the rows another claim has locked. (SQLite has
          // one writer at a time and no such clause.)
          db_.Backend() == "postgres" ? " FOR UPDATE SKIP LOCKED" : ""),
      sql::Args(worker, now_ms + lease_ms, now_ms, now_ms, queue, now_ms, limit));
  if (!rows) co_return std::move(rows).error();
  std::vector<ClaimedJob> claimed;
  claimed.reserve(rows->rows.size());
  for (std::size_t r = 0; r < rows->rows.size(); ++r) {
    ClaimedJob job;
    job.id = rows->Int(r, 0).value_or(0);
    job.kind = TextOr(*rows, r, 1);
    job.queue = TextOr(*rows, r, 2);
    job.args = TextOr(*rows, r, 3);
    job.attempt = rows->Int(r, 4).value_or(0);
    job.max_attempts = rows->Int(r, 5).value_or(0);
    job.lease_token = rows->Int(r, 6).value_or(0);
    job.created_at = rows->Int(r, 7).value_or(0);
    job.run_at = rows->Int(r, 8).value_or(0);
    job.priority = rows->Int(r, 9).value_or(0);
    job.started_at = now_ms;
    claimed.push_back(std::move(job));
  }
  // RETURNING order is unspecified; hand them to the workers in the claim's own order.
  std::sort(claimed.begin(), claimed.end(), [](const ClaimedJob& a, const ClaimedJob& b) {
    return std::tie(b.priority, a.run_at, a.id) < std::tie(a.priority, b.run_at, b.id);
  });
  for (const auto& job : claimed) Changed(job.id);
  co_return claimed;
}

Task<Result<bool>> JobStore::Heartbeat(std::int64_t id, std::int64_t token, std::int64_t now_ms,
                                       std::int64_t lease_ms) {
  auto changed = co_await db_.Execute(
      "UPDATE jobs SET lease_expires_at = ?, updated_at = ? WHERE id = ? AND lease_token = ? AND state = "
      "'running'",
      sql::Args(now_ms + lease_ms, now_ms, id, token));
  if (!changed) co_return std::move(changed).error();
  co_return *changed == 1;
}

Task<Result<bool>> JobStore::Progress(std::int64_t id, std::int64_t token, int percent, std::string message,
                                      std::int64_t now_ms) {
  auto changed = co_await db_.Execute(
      "UPDATE jobs SET progress = ?, progress_message = ?, updated_at = ? "
      "WHERE id = ? AND lease_token = ? AND state = 'running'",
      sql::Args(std::clamp(percent, 0, 100), std::move(message), now_ms, id, token));
  if (!changed) co_return std::move(changed).error();
  if (*changed == 1) Changed(id);
  co_return *changed == 1;
}

Task<Result<bool>> JobStore::Complete(std::int64_t id, std::int64_t token, std::string result_json,
                                      std::int64_t now_ms) {
  auto changed = co_await db_.Execute(
      "UPDATE jobs SET state = 'completed', result = ?, progress = 100, finished_at = ?, updated_at = ?, "
      "lease_owner = NULL, lease_expires_at = NULL WHERE id = ? AND lease_token = ? AND state = 'running'",
      sql::Args(std::move(result_json), now_ms, now_ms, id, token));
  if (!changed) co_return std::move(changed).error();
  if (*changed == 1) Changed(id);
  co_return *changed == 1;
}

Task<Result<std::optional<std::string>>> JobStore::Fail(std::int64_t id, std::int64_t token,
                                                        std::string error, std::int64_t retry_at_ms,
                                                        std::int64_t now_ms) {
  auto rows = co_await db_.Write(
      fmt::format(
          "UPDATE jobs SET state = CASE WHEN attempt >= max_attempts THEN 'discarded' ELSE 'retryable' END, "
          "run_at = ?, errors = {}, finished_at = CASE WHEN attempt >= max_attempts THEN ? END, updated_at = "
          "?, "
          "lease_owner = NULL, lease_expires_at = NULL WHERE id = ? AND lease_token = ? AND state = "
          "'running' "
          "RETURNING state",
          ErrorsWithAttempt(db_.Backend(), "CAST(? AS TEXT)")),
      sql::Args(retry_at_ms, now_ms, std::move(error), now_ms, now_ms, id, token));
  if (!rows) co_return std::move(rows).error();
  if (rows->empty()) co_return std::optional<std::string>();
  Changed(id);
  co_return std::optional<std::string>(TextOr(*rows, 0, 0));
}

Task<Result<bool>> JobStore::Release(std::int64_t id, std::int64_t token, std::int64_t now_ms,
                                     std::int64_t run_at_ms) {
  auto changed = co_await db_.Execute(
      "UPDATE jobs SET state = 'available', attempt = attempt - 1, run_at = ?, updated_at = ?, "
      "lease_owner = NULL, lease_expires_at = NULL WHERE id = ? AND lease_token = ? AND state = 'running'",
      sql::Args(run_at_ms, now_ms, id, token));
  if (!changed) co_return std::move(changed).error();
  if (*changed == 1) Changed(id);
  co_return *changed == 1;
}

Task<Result<std::vector<RescuedJob>>> JobStore::RescueExpired(std::int64_t now_ms) {
  auto rows = co_await db_.Write(
      fmt::format(
          "UPDATE jobs SET state = CASE WHEN attempt >= max_attempts THEN 'discarded' ELSE 'available' END, "
          "run_at = ?, errors = {}, finished_at = CASE WHEN attempt >= max_attempts THEN ? END, updated_at = "
          "?, "
          "lease_owner = NULL, lease_expires_at = NULL WHERE state = 'running' AND lease_expires_at < ? "
          "RETURNING id, kind, queue, state",
          ErrorsWithAttempt(db_.Backend(),
                            "'lease expired: worker ' || COALESCE(lease_owner, '?') || "
                            "' stopped sending heartbeats'")),
      sql::Args(now_ms, now_ms, now_ms, now_ms, now_ms));
  if (!rows) co_return std::move(rows).error();
  std::vector<RescuedJob> rescued;
  for (std::size_t r = 0; r < rows->rows.size(); ++r)
    rescued.push_back(RescuedJob{rows->Int(r, 0).value_or(0), TextOr(*rows, r, 1), TextOr(*rows, r, 2),
                                 TextOr(*rows, r, 3)});
  for (const auto& job : rescued) Changed(job.id);
  co_return rescued;
}

Task<Result<std::optional<JobRecord>>> JobStore::Find(std::int64_t id) {
  auto rows = co_await db_.Query(fmt::format("SELECT {} FROM jobs WHERE id = ?", kJobColumns), sql::Args(id));
  if (!rows) co_return std::move(rows).error();
  if (rows->empty()) co_return std::optional<JobRecord>();
  co_return std::optional<JobRecord>(RecordAt(*rows, 0));
}

Task<Result<JobPage>> JobStore::List(JobFilter filter, std::int64_t page, std::int64_t per_page) {
  std::string where = "WHERE 1 = 1";
  sql::Params params;
  auto add = [&](const char* column, const std::string& value) {
    if (value.empty()) return;
    where += fmt::format(" AND {} = ?", column);
    params.push_back(value);
  };
  add("queue", filter.queue);
  add("state", filter.state);
  add("kind", filter.kind);
  auto count = co_await db_.Query("SELECT COUNT(*) FROM jobs " + where, params);
  if (!count) co_return std::move(count).error();
  sql::Params page_params = params;
  page_params.push_back(per_page);
  page_params.push_back((page - 1) * per_page);
  auto rows = co_await db_.Query(
      fmt::format("SELECT {} FROM jobs {} ORDER BY id DESC LIMIT ? OFFSET ?", kJobColumns, where),
      page_params);
  if (!rows) co_return std::move(rows).error();
  JobPage result;
  result.total = count->Int(0, 0).value_or(0);
  for (std::size_t r = 0; r < rows->rows.size(); ++r) result.items.push_back(RecordAt(*rows, r));
  co_return result;
}

Task<Result<JobRecord>> JobStore::Retry(std::int64_t id, std::int64_t now_ms) {
  auto rows = co_await db_.Write(
      fmt::format("UPDATE jobs SET state = 'available', run_at = ?, updated_at = ?, finished_at = NULL, "
                  "max_attempts = CASE WHEN attempt + 1 > max_attempts THEN attempt + 1 ELSE max_attempts "
                  "END WHERE id = ? AND state != 'running' RETURNING {}",
                  kJobColumns),
      sql::Args(now_ms, now_ms, id));
  if (!rows) co_return std::move(rows).error();
  if (!rows->empty()) {
    Changed(id);
    co_return RecordAt(*rows, 0);
  }
  co_return co_await WhyUnchanged(id, "is running; cancel it first");
}

Task<Error> JobStore::WhyUnchanged(std::int64_t id, std::string_view conflict) {
  auto job = co_await Find(id);
  if (!job) co_return std::move(job).error();
  if (!*job) co_return Error{ErrorCode::kNotFound, fmt::format("no job {}", id)};
  co_return Error{ErrorCode::kConflict, fmt::format("job {} {} ({})", id, conflict, (*job)->state)};
}

Task<Result<JobRecord>> JobStore::Cancel(std::int64_t id, std::int64_t now_ms) {
  auto rows = co_await db_.Write(
      fmt::format("UPDATE jobs SET state = 'cancelled', finished_at = ?, updated_at = ?, lease_owner = NULL, "
                  "lease_expires_at = NULL WHERE id = ? AND state IN {} RETURNING {}",
                  kLiveStates, kJobColumns),
      sql::Args(now_ms, now_ms, id));
  if (!rows) co_return std::move(rows).error();
  if (!rows->empty()) {
    Changed(id);
    co_return RecordAt(*rows, 0);
  }
  co_return co_await WhyUnchanged(id, "already finished");
}

Task<Result<bool>> JobStore::CancelUnique(sql::Session& session, std::string unique_key,
                                          std::int64_t now_ms) {
  auto changed =
      co_await session.Execute(CancelUniqueSql(), sql::Args(now_ms, now_ms, std::move(unique_key)));
  if (!changed) co_return std::move(changed).error();
  co_return *changed > 0;
}

Task<Result<bool>> JobStore::CancelUnique(std::string unique_key, std::int64_t now_ms) {
  auto changed = co_await db_.Execute(CancelUniqueSql(), sql::Args(now_ms, now_ms, std::move(unique_key)));
  if (!changed) co_return std::move(changed).error();
  co_return *changed > 0;
}

Task<Result<std::vector<QueueDepth>>> JobStore::Depths() {
  auto rows = co_await db_.Query(
      fmt::format(
          "SELECT queue, state, COUNT(*), MIN(CASE WHEN state IN ('available', 'scheduled', 'retryable') "
          "THEN run_at END) FROM jobs WHERE state IN {} GROUP BY queue, state ORDER BY queue",
          kLiveStates),
      sql::Params());
  if (!rows) co_return std::move(rows).error();
  std::vector<QueueDepth> depths;
  for (std::size_t r = 0; r < rows->rows.size(); ++r) {
    std::string queue = TextOr(*rows, r, 0);
    if (depths.empty() || depths.back().queue != queue) {
      QueueDepth depth;
      depth.queue = queue;
      for (const char* state : {"available", "scheduled", "running", "retryable"}) depth.by_state[state] = 0;
      depths.push_back(std::move(depth));
    }
    depths.back().by_state[TextOr(*rows, r, 1)] = rows->Int(r, 2).value_or(0);
    if (auto oldest = rows->Int(r, 3)) {
      auto& current = depths.back().oldest_available_ms;
      current = current ? std::min(*current, *oldest) : *oldest;
    }
  }
  co_return depths;
}

Task<Result<std::int64_t>> JobStore::PruneFinished(std::int64_t before_ms) {
  co_return co_await db_.Execute(
      "DELETE FROM jobs WHERE finished_at IS NOT NULL AND finished_at < ? AND state IN ('completed', "
      "'discarded', 'cancelled')",
      sql::Args(before_ms));
}

Task<Result<bool>> JobStore::AcquireLease(std::string name, std::string owner, std::int64_t now_ms,
                                          std::int64_t ttl_ms) {
  auto rows = co_await db_.Write(
      "INSERT INTO job_leases (name, owner, expires_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
      "owner = excluded.owner, expires_at = excluded.expires_at "
      "WHERE job_leases.owner = excluded.owner OR job_leases.expires_at < ? RETURNING owner",
      sql::Args(std::move(name), owner, now_ms + ttl_ms, now_ms));
  if (!rows) co_return std::move(rows).error();
  co_return !rows->empty() && TextOr(*rows, 0, 0) == owner;
}

Task<Result<void>> JobStore::DropLease(std::string name, std::string owner) {
  auto changed = co_await db_.Execute("DELETE FROM job_leases WHERE name = ? AND owner = ?",
                                      sql::Args(std::move(name), std::move(owner)));
  if (!changed) co_return std::move(changed).error();
  co_return Ok();
}

Task<Result<std::optional<std::int64_t>>> JobStore::LastTick(std::string kind) {
  auto rows =
      co_await db_.Query("SELECT last_tick FROM job_schedules WHERE kind = ?", sql::Args(std::move(kind)));
  if (!rows) co_return std::move(rows).error();
  if (rows->empty()) co_return std::optional<std::int64_t>();
  co_return rows->Int(0, 0);
}

Task<Result<bool>> JobStore::AdvanceSchedule(std::string kind, std::optional<std::int64_t> previous,
                                             std::int64_t tick, std::optional<JobRequest> run,
                                             std::int64_t now_ms) {
  bool fired = false;
  auto done = co_await db_.Transaction([&](sql::Session& session) -> Task<Result<void>> {
    Result<std::int64_t> advanced = std::int64_t{0};
    if (previous) {
      advanced =
          co_await session.Execute("UPDATE job_schedules SET last_tick = ? WHERE kind = ? AND last_tick = ?",
                                   sql::Args(tick, kind, *previous));
    } else {
      advanced = co_await session.Execute(
          "INSERT INTO job_schedules (kind, last_tick) VALUES (?, ?) ON CONFLICT (kind) DO NOTHING",
          sql::Args(kind, tick));
    }
    if (!advanced) co_return std::move(advanced).error();
    if (*advanced != 1) co_return Ok();  // another scheduler fired this tick
    fired = true;
    if (!run) co_return Ok();
    auto enqueued = co_await Enqueue(session, *run, now_ms);
    if (!enqueued) co_return std::move(enqueued).error();
    co_return Ok();
  });
  if (!done) co_return std::move(done).error();
  co_return fired;
}

}  // namespace keel::jobs
