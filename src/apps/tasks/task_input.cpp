// Field-by-field validation of Task API input, collecting every error for one 422 answer.
#include "apps/tasks/task_input.hpp"

#include "core/rfc3339.hpp"
#include "http/json_fields.hpp"
#include "http/pagination.hpp"

namespace keel::tasks {
namespace {

constexpr std::size_t kMaxTitle = 200;
constexpr std::size_t kMaxDescription = 10000;

void CheckEnum(const std::optional<std::string>& value, const char* name, bool (*valid)(std::string_view),
               const char* allowed, http::JsonFields& fields) {
  if (value && !valid(*value)) fields.AddError(name, std::string("must be one of ") + allowed);
}

// due_at: absent (nullopt), null (optional holding nullopt), or a valid RFC 3339 date-time, normalized to
// UTC.
std::optional<std::optional<std::string>> DueAt(http::JsonFields& fields) {
  const nlohmann::json* due = fields.Member("due_at");
  if (due == nullptr) return std::nullopt;
  if (due->is_null()) return std::optional<std::string>();
  auto ms = due->is_string() ? ParseRfc3339(due->get<std::string>()) : std::nullopt;
  if (!ms) {
    fields.AddError("due_at", "must be an RFC 3339 date-time, e.g. 2026-12-01T09:00:00Z, or null");
    return std::nullopt;
  }
  return std::optional<std::string>(FormatRfc3339(*ms));
}

// The fields a create and a patch share; `title_required` tells them apart.
TaskPatch ReadFields(http::JsonFields& fields, bool title_required) {
  fields.RejectUnknown({"title", "description", "status", "priority", "due_at"});
  TaskPatch patch;
  patch.title = fields.String("title", 1, kMaxTitle, title_required);
  patch.description = fields.String("description", 0, kMaxDescription, false);
  patch.status = fields.String("status", 1, 32, false);
  patch.priority = fields.String("priority", 1, 32, false);
  CheckEnum(patch.status, "status", ValidStatus, "todo, in_progress, done", fields);
  CheckEnum(patch.priority, "priority", ValidPriority, "low, medium, high", fields);
  patch.due_at = DueAt(fields);
  return patch;
}

}  // namespace

std::variant<TaskRecord, Invalid> ParseNewTask(std::string_view body) {
  http::JsonFields fields(body);
  if (!fields.ok()) return fields.problem();  // nothing more to say about a body that is not an object
  TaskPatch given = ReadFields(fields, /*title_required=*/true);
  if (!fields.ok()) return fields.problem();
  TaskRecord task;
  task.title = std::move(*given.title);
  task.description = given.description.value_or("");
  task.status = given.status.value_or("todo");
  task.priority = given.priority.value_or("medium");
  if (given.due_at) task.due_at = *given.due_at;
  return task;
}

std::variant<TaskPatch, Invalid> ParsePatch(std::string_view body) {
  http::JsonFields fields(body);
  if (!fields.ok()) return fields.problem();
  TaskPatch patch = ReadFields(fields, /*title_required=*/false);
  if (fields.ok() && patch.Empty()) fields.AddError("body", "names no field to change");
  if (!fields.ok()) return fields.problem();
  return patch;
}

std::variant<ListQuery, Invalid> ParseListQuery(const http::Request& request) {
  std::vector<http::FieldError> errors;
  ListQuery query;
  auto pagination = http::ParsePagination(request, errors);
  query.page = pagination.page;
  query.per_page = pagination.per_page;
  if (auto status = request.QueryParam("status")) {
    if (!ValidStatus(*status))
      errors.push_back({"status", "must be one of todo, in_progress, done"});
    else
      query.status = *status;
  }
  if (auto priority = request.QueryParam("priority")) {
    if (!ValidPriority(*priority))
      errors.push_back({"priority", "must be one of low, medium, high"});
    else
      query.priority = *priority;
  }
  if (auto sort = request.QueryParam("sort")) {
    if (*sort == "created_at")
      query.sort = SortKey::kCreatedAt;
    else if (*sort == "due_at")
      query.sort = SortKey::kDueAt;
    else if (*sort == "priority")
      query.sort = SortKey::kPriority;
    else
      errors.push_back({"sort", "must be one of created_at, due_at, priority"});
  }
  if (auto order = request.QueryParam("order")) {
    if (*order == "asc")
      query.descending = false;
    else if (*order == "desc")
      query.descending = true;
    else
      errors.push_back({"order", "must be asc or desc"});
  }
  if (auto user = request.QueryParam("user_id")) {
    if (user->empty() || user->size() > 64)
      errors.push_back({"user_id", "must be a user id"});
    else
      query.user_id = *user;
  }
  if (!errors.empty()) return Invalid{std::nullopt, std::move(errors)};
  return query;
}

}  // namespace keel::tasks
