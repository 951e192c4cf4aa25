// The SQL behind the Task API. Every query is scoped to the owning user, so another user's task is simply
// not found (404), never forbidden (403): its existence does not leak.
//
// List pages (with their total) are cached in the KV store under the owner's list generation, a random token
// replaced on every write to that owner's tasks: a write makes every cached page of that owner unreachable at
// once, and a generation lost to eviction is replaced by a new one, so a stale page can never be served. A
// replacement the KV store did not take is retried (kv::CacheGenerations), and the owner's lists bypass the
// cache meanwhile.
//
// Writes that give a task a due date, move it or finish it run in one transaction with its reminder job
// (TaskReminders); other writes are single group-committed statements.
//
// Thread safety: safe from any IO thread (the Database is).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "apps/tasks/task.hpp"
#include "apps/tasks/task_input.hpp"
#include "apps/tasks/task_reminders.hpp"
#include "core/async.hpp"
#include "core/clock.hpp"
#include "storage/kv/kv_store.hpp"
#include "storage/sql/database.hpp"

namespace keel::kv {
class CacheGenerations;
}

namespace keel::tasks {

struct TaskPage {
  std::vector<TaskRecord> items;
  std::int64_t total = 0;
};

class TaskStore {
 public:
  // `reminders` may be null (no reminder e-mails).
  // `generations` holds the owners' list generations (kTaskListCacheTtl * 2).
  TaskStore(sql::Database& db, kv::KvStore& kv, kv::CacheGenerations& generations, const Clock& clock,
            TaskReminders* reminders = nullptr)
      : db_(db), kv_(kv), generations_(generations), clock_(clock), reminders_(reminders) {}

  Task<Result<TaskRecord>> Create(std::string user_id, TaskRecord task);
  Task<Result<TaskRecord>> Find(std::string user_id, std::string id);
  Task<Result<TaskPage>> List(std::string user_id, ListQuery query);
  // The JSON of a list page ({items, page, per_page, total}), from the cache when this owner's tasks have not
  // changed since it was built.
  Task<Result<std::string>> ListJson(std::string user_id, ListQuery query);
  // kPrecondition when expected_version is given and the stored version differs.
  Task<Result<TaskRecord>> Update(std::string user_id, std::string id, TaskPatch patch,
                                  std::optional<std::int64_t> expected_version);
  Task<Result<void>> Delete(std::string user_id, std::string id,
                            std::optional<std::int64_t> expected_version);

 private:
  // Why a conditional UPDATE/DELETE touched no row: the task is not the caller's (404) or its version moved
  // (412).
  Task<Error> WhyUntouched(const std::string& user_id, const std::string& id);
  Task<void> TasksChanged(const std::string& user_id);

  sql::Database& db_;
  kv::KvStore& kv_;
  kv::CacheGenerations& generations_;
  const Clock& clock_;  // created_at, updated_at
  TaskReminders* reminders_;
};

inline constexpr std::chrono::seconds kTaskListCacheTtl{300};

// The SELECT of a list query; parameters: user_id, then status and priority when filtered, then limit,
// offset.
std::string ListSql(const ListQuery& query);
// The COUNT of a list query; parameters as ListSql without limit and offset.
std::string CountSql(const ListQuery& query);

}  // namespace keel::tasks
