// TaskStore: statements built only from fixed fragments (sort columns come from an enum), values bound as
// parameters.
#include "apps/tasks/task_store.hpp"

#include <fmt/format.h>

#include "core/clock.hpp"
#include "core/random.hpp"
#include "core/rfc3339.hpp"
#include "storage/kv/cache_generations.hpp"

namespace keel::tasks {
namespace {

std::string ListGenerationKey(const std::string& user_id) { return "tasks:generation:" + user_id; }

constexpr const char* kColumns =
    "id, user_id, title, description, status, priority, due_at, version, created_at, updated_at";

TaskRecord FromRow(const sql::Rows& rows, std::size_t r) {
  TaskRecord task;
  task.id = std::string(rows.Text(r, 0).value_or(""));
  task.user_id = std::string(rows.Text(r, 1).value_or(""));
  task.title = std::string(rows.Text(r, 2).value_or(""));
  task.description = std::string(rows.Text(r, 3).value_or(""));
  task.status = std::string(rows.Text(r, 4).value_or(""));
  task.priority = std::string(rows.Text(r, 5).value_or(""));
  if (auto due = rows.Text(r, 6)) task.due_at = std::string(*due);
  task.version = rows.Int(r, 7).value_or(1);
  task.created_at = std::string(rows.Text(r, 8).value_or(""));
  task.updated_at = std::string(rows.Text(r, 9).value_or(""));
  return task;
}

std::string Filters(const ListQuery& query) {
  std::string where = "user_id = ?";
  if (query.status) where += " AND status = ?";
  if (query.priority) where += " AND priority = ?";
  return where;
}

sql::Params FilterParams(const std::string& user_id, const ListQuery& query) {
  sql::Params params = sql::Args(user_id);
  if (query.status) params.push_back(*query.status);
  if (query.priority) params.push_back(*query.priority);
  return params;
}

Error NotFound() { return Error{ErrorCode::kNotFound, "no such task"}; }

}  // namespace

std::string ListSql(const ListQuery& query) {
  const char* column = query.sort == SortKey::kCreatedAt ? "created_at"
                       : query.sort == SortKey::kDueAt   ? "due_at"
                                                         : "priority_rank";
  const char* direction = query.descending ? "DESC" : "ASC";
  // SQLite sorts NULL lowest, PostgreSQL highest unless told; due_at is the one nullable key (its PostgreSQL
  // index is NULLS FIRST to match).
  const char* nulls = query.sort != SortKey::kDueAt ? "" : query.descending ? " NULLS LAST" : " NULLS FIRST";
  // The id tie-breaker keeps pages stable and matches the (user_id, key, id) indexes, so no sort step is
  // needed.
  return fmt::format("SELECT {} FROM tasks WHERE {} ORDER BY {} {}{}, id {} LIMIT ? OFFSET ?", kColumns,
                     Filters(query), column, direction, nulls, direction);
}

std::string CountSql(const ListQuery& query) {
  return fmt::format("SELECT COUNT(*) FROM tasks WHERE {}", Filters(query));
}

Task<Result<TaskRecord>> TaskStore::Create(std::string user_id, TaskRecord task) {
  // Everything the row will hold is known here, so the answer needs no read-back after the insert.
  task.id = NewId();
  task.user_id = user_id;
  task.version = 1;
  task.created_at = task.updated_at = FormatRfc3339(clock_.WallMillis());
  sql::Params params = sql::Args(task.id, user_id, task.title, task.description, task.status, task.priority,
                                 PriorityRank(task.priority));
  params.push_back(task.due_at ? sql::Value(*task.due_at) : sql::Value(nullptr));
  params.push_back(task.created_at);
  params.push_back(task.updated_at);
  const std::string insert =
      "INSERT INTO tasks (id, user_id, title, description, status, priority, priority_rank, due_at, "
      "created_at, "
      "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
  Result<void> inserted = Ok();
  if (task.due_at && reminders_ != nullptr) {
    inserted = co_await db_.Transaction([&](sql::Session& session) -> Task<Result<void>> {
      auto row = co_await session.Execute(insert, params);
      if (!row) co_return std::move(row).error();
      co_return co_await reminders_->Reschedule(session, task.id, user_id, task.due_at, task.status);
    });
    if (inserted) reminders_->Wake();
  } else {
    auto row = co_await db_.Insert(insert, std::move(params));  // may share a commit with other creates
    if (!row) inserted = std::move(row).error();
  }
  if (!inserted) co_return std::move(inserted).error();
  co_await TasksChanged(user_id);
  co_return task;
}

Task<void> TaskStore::TasksChanged(const std::string& user_id) {
  const std::string key = ListGenerationKey(user_id);  // named: g++ 12 and temporaries in co_await
  co_await generations_.Replace(key);
}

Task<Result<std::string>> TaskStore::ListJson(std::string user_id, ListQuery query) {
  const std::string generation_key = ListGenerationKey(user_id);
  std::optional<std::string> generation = co_await generations_.Current(generation_key);
  std::string cache_key;
  if (generation) {
    cache_key = fmt::format("tasks:page:{}:{}:{}:{}:{}:{}:{}:{}", user_id, *generation, query.page,
                            query.per_page, query.status.value_or(""), query.priority.value_or(""),
                            static_cast<int>(query.sort), query.descending);
    auto cached = co_await kv_.Get(cache_key);
    if (cached && cached->has_value()) co_return **cached;
  }
  auto page = co_await List(user_id, query);
  if (!page) co_return std::move(page).error();
  std::string body = "{\"items\":[";
  for (std::size_t i = 0; i < page->items.size(); ++i) {
    if (i > 0) body += ',';
    body += TaskJson(page->items[i]);
  }
  body +=
      fmt::format("],\"page\":{},\"per_page\":{},\"total\":{}}}", query.page, query.per_page, page->total);
  // Checked again: a failed replacement while the page was built means the page may predate that write, and
  // the generation it would be cached under may be the old one.
  if (generation && !generations_.Pending(generation_key))
    (void)co_await kv_.Set(cache_key, body, kTaskListCacheTtl);
  co_return body;
}

Task<Result<TaskRecord>> TaskStore::Find(std::string user_id, std::string id) {
  auto rows = co_await db_.Query(fmt::format("SELECT {} FROM tasks WHERE id = ? AND user_id = ?", kColumns),
                                 sql::Args(id, user_id));
  if (!rows) co_return std::move(rows).error();
  if (rows->empty()) co_return NotFound();
  co_return FromRow(*rows, 0);
}

Task<Result<TaskPage>> TaskStore::List(std::string user_id, ListQuery query) {
  TaskPage page;
  auto count = co_await db_.Query(CountSql(query), FilterParams(user_id, query));
  if (!count) co_return std::move(count).error();
  page.total = count->Int(0, 0).value_or(0);
  if (page.total <= (query.page - 1) * query.per_page) co_return page;
  sql::Params params = FilterParams(user_id, query);
  params.push_back(query.per_page);
  params.push_back((query.page - 1) * query.per_page);
  auto rows = co_await db_.Query(ListSql(query), std::move(params));
  if (!rows) co_return std::move(rows).error();
  page.items.reserve(rows->rows.size());
  for (std::size_t r = 0; r < rows->rows.size(); ++r) page.items.push_back(FromRow(*rows, r));
  co_return page;
}

Task<Result<TaskRecord>> TaskStore::Update(std::string user_id, std::string id, TaskPatch patch,
                                           std::optional<std::int64_t> expected_version) {
  std::string sets;
  sql::Params params;
  auto set = [&](const char* column, sql::Value value) {
    sets += fmt::format("{} = ?, ", column);
    params.push_back(std::move(value));
  };
  if (patch.title) set("title", *patch.title);
  if (patch.description) set("description", *patch.description);
  if (patch.status) set("status", *patch.status);
  if (patch.priority) {
    set("priority", *patch.priority);
    set("priority_rank", static_cast<std::int64_t>(PriorityRank(*patch.priority)));
  }
  if (patch.due_at) set("due_at", *patch.due_at ? sql::Value(**patch.due_at) : sql::Value(nullptr));
  params.push_back(FormatRfc3339(clock_.WallMillis()));
  params.push_back(id);
  params.push_back(user_id);
  std::string where = "id = ? AND user_id = ?";
  if (expected_version) {
    where += " AND version = ?";
    params.push_back(*expected_version);
  }
  std::string update = fmt::format(
      "UPDATE tasks SET {}version = version + 1, updated_at = ? WHERE {} RETURNING due_at, status", sets,
      where);
  Result<std::int64_t> changed = std::int64_t{0};
  if ((patch.due_at || patch.status) && reminders_ != nullptr) {
    // The reminder follows the due date and the status in the same transaction.
    auto done = co_await db_.Transaction([&](sql::Session& session) -> Task<Result<void>> {
      auto rows = co_await session.Query(update, params);
      if (!rows) co_return std::move(rows).error();
      changed = static_cast<std::int64_t>(rows->rows.size());
      if (rows->empty()) co_return Ok();
      std::optional<std::string> due_at;
      if (auto due = rows->Text(0, 0)) due_at = std::string(*due);
      co_return co_await reminders_->Reschedule(session, id, user_id, due_at,
                                                std::string(rows->Text(0, 1).value_or("")));
    });
    if (!done) co_return std::move(done).error();
    reminders_->Wake();
  } else {
    auto rows = co_await db_.Write(update, std::move(params));
    if (!rows) co_return std::move(rows).error();
    changed = static_cast<std::int64_t>(rows->rows.size());
  }
  if (*changed == 0) co_return co_await WhyUntouched(user_id, id);
  co_await TasksChanged(user_id);
  co_return co_await Find(std::move(user_id), std::move(id));
}

Task<Error> TaskStore::WhyUntouched(const std::string& user_id, const std::string& id) {
  auto current = co_await Find(user_id, id);
  if (!current) co_return std::move(current).error();  // not (or not the caller's): 404
  co_return Error{ErrorCode::kPrecondition, "the task changed since that version (If-Match)"};
}

Task<Result<void>> TaskStore::Delete(std::string user_id, std::string id,
                                     std::optional<std::int64_t> expected_version) {
  sql::Params params = sql::Args(id, user_id);
  std::string sql = "DELETE FROM tasks WHERE id = ? AND user_id = ?";
  if (expected_version) {
    sql += " AND version = ?";
    params.push_back(*expected_version);
  }
  auto deleted = co_await db_.Execute(sql, std::move(params));
  if (!deleted) co_return std::move(deleted).error();
  if (*deleted == 0) co_return co_await WhyUntouched(user_id, id);
  // Not atomic with the delete, and need not be: the reminder handler skips deleted tasks.
  if (reminders_ != nullptr) (void)co_await reminders_->Cancel(id);
  co_await TasksChanged(user_id);
  co_return Ok();
}

}  // namespace keel::tasks
