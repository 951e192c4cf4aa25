// The validation module's periodic jobs:
//   - validation.prune (hourly, maintenance queue): deletes events older than apps.retention_days from the
//   log
//     and the failed events, rollups older than the longest dashboard window (and the daily report's day),
//     and exports older than kExportDays; app by app and in slices, so the write lock is never held for long;
//   - validation.daily_report (06:00 UTC, batch_processing queue): mails each owner of an app that received
//     events in the last 24 hours its totals and most frequent violations (through mail.send: SMTP, or the
//     outbox without it), at most once per app and day.
#pragma once

#include "core/clock.hpp"
#include "jobs/job_kinds.hpp"
#include "jobs/job_queue.hpp"
#include "storage/sql/database.hpp"

namespace keel::validation {

inline constexpr const char* kPruneKind = "validation.prune";
inline constexpr const char* kDailyReportKind = "validation.daily_report";

void AddMaintenanceJobs(sql::Database& db, jobs::JobQueue& queue, const Clock& clock,
                        std::int64_t retention_days, jobs::JobKinds& kinds);

}  // namespace keel::validation
