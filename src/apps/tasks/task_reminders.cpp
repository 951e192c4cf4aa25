// TaskReminders: the reminder job's scheduling and its handler.
#include "apps/tasks/task_reminders.hpp"

#include <fmt/format.h>

#include "auth/mail/mail_jobs.hpp"
#include "core/clock.hpp"
#include "core/rfc3339.hpp"
#include "jobs/job_context.hpp"
#include "jobs/job_kinds.hpp"

namespace keel::tasks {
namespace {

constexpr const char* kReminderKind = "tasks.reminder";

std::string UniqueKey(const std::string& task_id) { return "task-reminder:" + task_id; }

Result<nlohmann::json> Remind(sql::Database& db, jobs::JobQueue& queue, jobs::JobContext& context) {
  std::string task_id = context.args().value("task_id", std::string());
  std::string due_at = context.args().value("due_at", std::string());
  auto rows =
      context.Await(db.Query("SELECT t.title, t.status, t.due_at, u.email FROM tasks t JOIN users u ON u.id "
                             "= t.user_id WHERE t.id = ?",
                             sql::Args(task_id)));
  if (!rows) return std::move(rows).error();
  if (rows->empty()) return nlohmann::json{{"skipped", "the task was deleted"}};
  if (rows->Text(0, 1).value_or("") == "done") return nlohmann::json{{"skipped", "the task is done"}};
  if (rows->Text(0, 2).value_or("") != due_at) return nlohmann::json{{"skipped", "the task was moved"}};
  std::string title(rows->Text(0, 0).value_or(""));
  auto mail = mail::MailJob(std::string(rows->Text(0, 3).value_or("")), "Reminder: " + title,
                            fmt::format("Your task \"{}\" is due at {}.\n", title, due_at));
  // One mail per task and due date, however often this job is retried.
  mail.unique_key = fmt::format("task-reminder-mail:{}:{}", task_id, due_at);
  auto enqueued = context.Await(queue.Enqueue(std::move(mail)));
  if (!enqueued) return std::move(enqueued).error();
  return nlohmann::json{{"mail_job", enqueued->id}};
}

}  // namespace

Task<Result<void>> TaskReminders::Reschedule(sql::Session& session, std::string task_id, std::string owner_id,
                                             std::optional<std::string> due_at, std::string status) {
  auto now_ms = jobs_.clock().WallMillis();
  auto cancelled = co_await jobs_.store().CancelUnique(session, UniqueKey(task_id), now_ms);
  if (!cancelled) co_return std::move(cancelled).error();
  if (!due_at || status == "done") co_return Ok();
  auto due_ms = ParseRfc3339(*due_at);
  if (!due_ms || *due_ms <= now_ms) co_return Ok();
  jobs::JobRequest reminder;
  reminder.kind = kReminderKind;
  reminder.args["task_id"] = task_id;
  reminder.args["due_at"] = *due_at;
  reminder.run_at_ms = *due_ms - std::chrono::duration_cast<std::chrono::milliseconds>(kReminderLead).count();
  reminder.unique_key = UniqueKey(task_id);
  reminder.owner_id = std::move(owner_id);
  auto enqueued = co_await jobs_.Enqueue(session, std::move(reminder));
  if (!enqueued) co_return std::move(enqueued).error();
  co_return Ok();
}

Task<Result<void>> TaskReminders::Cancel(std::string task_id) {
  auto cancelled = co_await jobs_.store().CancelUnique(UniqueKey(task_id), jobs_.clock().WallMillis());
  if (!cancelled) co_return std::move(cancelled).error();
  co_return Ok();
}

void AddReminderJobs(sql::Database& db, jobs::JobQueue& queue, jobs::JobKinds& kinds) {
  kinds.Add(jobs::JobKind::Make(kReminderKind, "default", [&db, &queue](jobs::JobContext& context) {
    return Remind(db, queue, context);
  }));
}

}  // namespace keel::tasks
