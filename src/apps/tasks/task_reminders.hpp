// Reminder e-mails for tasks with a due date: one job per task (unique key task-reminder:<id>) that runs an
// hour before due_at. Scheduling happens in the transaction of the task write, so a reminder exists exactly
// when its task says it should; moving the due date or finishing the task replaces or cancels it.
//
// Thread safety: safe from any IO thread.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "core/async.hpp"
#include "jobs/job_kinds.hpp"
#include "jobs/job_queue.hpp"
#include "storage/sql/database.hpp"

namespace keel::tasks {

inline constexpr std::chrono::hours kReminderLead{1};

class TaskReminders {
 public:
  explicit TaskReminders(jobs::JobQueue& jobs) : jobs_(jobs) {}

  // Inside the task write's transaction: cancels the task's live reminder, then schedules a new one when the
  // task is open and due in the future (at due_at - 1 h, or now when that has passed).
  // The job belongs to `owner_id` (who may read it at /api/v1/jobs/{id}).
  Task<Result<void>> Reschedule(sql::Session& session, std::string task_id, std::string owner_id,
                                std::optional<std::string> due_at, std::string status);
  // After a delete (its own write; the handler also skips reminders of deleted tasks).
  Task<Result<void>> Cancel(std::string task_id);
  // Wakes the reminder queue after the transaction committed.
  void Wake() { jobs_.Wake("default"); }

 private:
  jobs::JobQueue& jobs_;
};

// The tasks.reminder job kind: mails the owner unless the task was deleted, finished or moved meanwhile.
void AddReminderJobs(sql::Database& db, jobs::JobQueue& queue, jobs::JobKinds& kinds);

}  // namespace keel::tasks
