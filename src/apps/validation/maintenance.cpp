// The prune and daily report jobs.
#include "apps/validation/maintenance.hpp"

#include <fmt/format.h>

#include "apps/validation/exports.hpp"
#include "auth/mail/mail_jobs.hpp"
#include "core/rfc3339.hpp"
#include "jobs/job_context.hpp"

namespace keel::validation {

namespace {

constexpr std::int64_t kDayMs = 86'400'000;
constexpr std::int64_t kSlice = 10'000;
// The dashboard's longest window is 7 days; a day more keeps its oldest bucket whole.
constexpr std::int64_t kRollupDays = 8;

// Deletes the events of `app_id` that arrived before `cutoff` from `table` (log_entries or failed_events), a
// slice at a time.
Result<std::int64_t> PruneEvents(sql::Database& db, jobs::JobContext& job, std::string_view table,
                                 const std::string& app_id, std::int64_t cutoff) {
  const std::string sql = fmt::format(
      "DELETE FROM {0} WHERE id IN (SELECT id FROM {0} WHERE app_id = ? AND created_ms < ? LIMIT {1})", table,
      kSlice);
  std::int64_t pruned = 0;
  for (;;) {
    auto deleted = job.Await(db.Execute(sql, sql::Args(app_id, cutoff)));
    if (!deleted) return std::move(deleted).error();
    pruned += *deleted;
    if (*deleted < kSlice || job.Cancelled()) return pruned;
  }
}

Result<nlohmann::json> Prune(sql::Database& db, const Clock& clock, std::int64_t retention_days,
                             jobs::JobContext& job) {
  const std::int64_t now = clock.WallMillis();
  const std::int64_t log_cutoff = now - retention_days * kDayMs;
  const std::int64_t rollup_cutoff = now - kRollupDays * kDayMs;
  auto apps = job.Await(db.Query("SELECT id FROM validation_apps"));
  if (!apps) return std::move(apps).error();
  std::int64_t events = 0, failed = 0, rollups = 0;
  for (std::size_t i = 0; i < apps->rows.size() && !job.Cancelled(); ++i) {
    const std::string app_id(apps->Text(i, 0).value_or(""));
    auto logged = PruneEvents(db, job, "log_entries", app_id, log_cutoff);
    if (!logged) return std::move(logged).error();
    auto kept_aside = PruneEvents(db, job, "failed_events", app_id, log_cutoff);
    if (!kept_aside) return std::move(kept_aside).error();
    // The rollup tables have no single-column key: their whole rows go, by the primary key's prefix.
    for (std::string_view table : {"validation_rollups", "validation_violation_rollups"}) {
      auto deleted =
          job.Await(db.Execute(fmt::format("DELETE FROM {} WHERE app_id = ? AND minute_ms < ?", table),
                               sql::Args(app_id, rollup_cutoff)));
      if (!deleted) return std::move(deleted).error();
      rollups += *deleted;
    }
    events += *logged;
    failed += *kept_aside;
  }
  auto exports = job.Await(db.Execute("DELETE FROM validation_exports WHERE created_at < ?",
                                      sql::Args(FormatRfc3339(now - kExportDays * kDayMs))));
  if (!exports) return std::move(exports).error();
  auto reports = job.Await(db.Execute("DELETE FROM validation_reports WHERE day < ?",
                                      sql::Args(FormatRfc3339(log_cutoff).substr(0, 10))));
  if (!reports) return std::move(reports).error();
  return nlohmann::json{
      {"events", events}, {"failed_events", failed}, {"rollups", rollups}, {"exports", *exports}};
}

Result<nlohmann::json> DailyReport(sql::Database& db, jobs::JobQueue& queue, const Clock& clock,
                                   jobs::JobContext& job) {
  const std::int64_t now = clock.WallMillis();
  const std::int64_t since = now - kDayMs;
  const std::string day = FormatRfc3339(now).substr(0, 10);
  auto apps = job.Await(db.Query(
      "SELECT a.id, a.name, u.email, SUM(r.events), SUM(r.invalid), SUM(r.blocked) FROM validation_apps a "
      "JOIN users u ON u.id = a.owner_id JOIN validation_rollups r ON r.app_id = a.id AND r.minute_ms >= ? "
      "GROUP BY a.id, a.name, u.email ORDER BY a.id",
      sql::Args(since)));
  if (!apps) return std::move(apps).error();
  std::int64_t mailed = 0;
  for (std::size_t i = 0; i < apps->rows.size() && !job.Cancelled(); ++i) {
    const std::string app_id(apps->Text(i, 0).value_or(""));
    const std::string name(apps->Text(i, 1).value_or(""));
    const std::int64_t events = apps->Int(i, 3).value_or(0);
    if (events == 0) continue;
    const std::int64_t invalid = apps->Int(i, 4).value_or(0);
    auto top = job.Await(db.Query(
        "SELECT event_name, path, rule, SUM(count) FROM validation_violation_rollups WHERE app_id = ? AND "
        "minute_ms >= ? GROUP BY event_name, path, rule ORDER BY SUM(count) DESC, event_name, path, rule "
        "LIMIT 5",
        sql::Args(app_id, since)));
    if (!top) return std::move(top).error();
    std::string text = fmt::format(
        "Your app \"{}\" in the 24 hours to {}:\n\n  events   {}\n  valid    {}\n  invalid  {}\n  blocked  "
        "{}\n",
        name, FormatRfc3339(now), events, events - invalid, invalid, apps->Int(i, 5).value_or(0));
    if (!top->empty()) {
      text += "\nMost frequent violations:\n";
      for (std::size_t v = 0; v < top->rows.size(); ++v)
        text += fmt::format("  {} x {} {} ({})\n", top->Int(v, 3).value_or(0), top->Text(v, 0).value_or(""),
                            top->Text(v, 1).value_or(""), top->Text(v, 2).value_or(""));
    }
    auto mail =
        mail::MailJob(std::string(apps->Text(i, 2).value_or("")),
                      fmt::format("Daily report for {}: {} events, {} invalid", name, events, invalid), text);
    // The report's row and its mail commit together: a job run twice in a day finds the row and mails
    // nothing.
    bool sent = false;
    auto done = job.Await(db.Transaction([&](sql::Session& session) -> Task<Result<void>> {
      auto claimed = co_await session.Execute(
          "INSERT INTO validation_reports (app_id, day) VALUES (?, ?) ON CONFLICT DO NOTHING",
          sql::Args(app_id, day));
      if (!claimed) co_return std::move(claimed).error();
      if (*claimed == 0) co_return Ok();
      auto enqueued = co_await queue.Enqueue(session, mail);
      if (!enqueued) co_return std::move(enqueued).error();
      sent = true;
      co_return Ok();
    }));
    if (!done) return std::move(done).error();
    if (sent) {
      queue.Wake(queue.QueueOf(mail));
      ++mailed;
    }
  }
  return nlohmann::json{{"mailed", mailed}};
}

}  // namespace

void AddMaintenanceJobs(sql::Database& db, jobs::JobQueue& queue, const Clock& clock,
                        std::int64_t retention_days, jobs::JobKinds& kinds) {
  auto prune = jobs::JobKind::Make(
      kPruneKind, "maintenance",
      [&db, &clock, retention_days](jobs::JobContext& job) { return Prune(db, clock, retention_days, job); });
  prune.max_attempts = 3;
  prune.timeout = std::chrono::minutes(30);
  kinds.Add(std::move(prune));
  kinds.AddPeriodic(jobs::PeriodicJob{kPruneKind, jobs::CronSchedule::Parse("29 * * * *").value()});
  auto report = jobs::JobKind::Make(
      kDailyReportKind, "batch_processing",
      [&db, &queue, &clock](jobs::JobContext& job) { return DailyReport(db, queue, clock, job); });
  report.max_attempts = 3;
  kinds.Add(std::move(report));
  kinds.AddPeriodic(jobs::PeriodicJob{kDailyReportKind, jobs::CronSchedule::Parse("0 6 * * *").value()});
}

}  // namespace keel::validation
