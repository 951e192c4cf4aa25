// Field-by-field validation of Task API input, collecting every error for one 422 answer.
#include "apps/tasks/task_input.hpp"

#include "core/rfc3339.hpp"
#include "http/json_fields.hpp"
#include "http/pagination.hpp"

namespace keel::tasks {
namespace {

constexpr std::size_t kMaxTitle = 200;
constexpr std::size_t kMaxDescription = 10000;

nlohmann::json ParseObject(std::string_view body, std::vector<http::FieldError>& errors) {
  auto json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    errors.push_back({"body", "is not valid JSON"});
    return nlohmann::json::object();
  }
  if (!json.is_object()) {
    errors.push_back({"body", "must be a JSON object"});
    return nlohmann::json::object();
  }
  return json;
}

// Reads one optional string member with a length range; records an error when present and invalid.
std::optional<std::string> Text(const nlohmann::json& json, const char* name, std::size_t min,
                                std::size_t max, std::vector<http::FieldError>& errors) {
  auto it = json.find(name);
  if (it == json.end()) return std::nullopt;
  if (!it->is_string()) {
    errors.push_back({name, "must be a string"});
    return std::nullopt;
  }
  std::string value = it->get<std::string>();
  auto length = http::Utf8Length(value);
  if (!length || *length < min || *length > max) {
    errors.push_back({name, "must be " + std::to_string(min) + " to " + std::to_string(max) + " characters"});
    return std::nullopt;
  }
  return value;
}

void CheckEnum(const std::optional<std::string>& value, const char* name, bool (*valid)(std::string_view),
               const char* allowed, std::vector<http::FieldError>& errors) {
  if (value && !valid(*value)) errors.push_back({name, std::string("must be one of ") + allowed});
}

// due_at: absent (nullopt), null (optional holding nullopt), or a valid RFC 3339 date-time, normalized to
// UTC.
std::optional<std::optional<std::string>> DueAt(const nlohmann::json& json,
                                                std::vector<http::FieldError>& errors) {
  auto it = json.find("due_at");
  if (it == json.end()) return std::nullopt;
  if (it->is_null()) return std::optional<std::string>();
  auto ms = it->is_string() ? ParseRfc3339(it->get<std::string>()) : std::nullopt;
  if (!ms) {
    errors.push_back({"due_at", "must be an RFC 3339 date-time, e.g. 2026-12-01T09:00:00Z, or null"});
    return std::nullopt;
  }
  return std::optional<std::string>(FormatRfc3339(*ms));
}

void RejectUnknown(const nlohmann::json& json, std::vector<http::FieldError>& errors) {
  static constexpr std::string_view kKnown[] = {"title", "description", "status", "priority", "due_at"};
  for (const auto& [key, value] : json.items()) {
    bool known = false;
    for (auto k : kKnown) known = known || key == k;
    if (!known) errors.push_back({key, "is not a known field"});
  }
}

}  // namespace

std::variant<TaskRecord, Invalid> ParseNewTask(std::string_view body) {
  std::vector<http::FieldError> errors;
  auto json = ParseObject(body, errors);
  if (!errors.empty())
    return Invalid{std::move(errors)};  // nothing more to say about a body that is not an object
  RejectUnknown(json, errors);
  TaskRecord task;
  auto title = Text(json, "title", 1, kMaxTitle, errors);
  if (!json.contains("title")) errors.push_back({"title", "is required"});
  auto description = Text(json, "description", 0, kMaxDescription, errors);
  auto status = Text(json, "status", 1, 32, errors);
  auto priority = Text(json, "priority", 1, 32, errors);
  CheckEnum(status, "status", ValidStatus, "todo, in_progress, done", errors);
  CheckEnum(priority, "priority", ValidPriority, "low, medium, high", errors);
  auto due_at = DueAt(json, errors);
  if (!errors.empty()) return Invalid{std::move(errors)};
  task.title = std::move(*title);
  task.description = description.value_or("");
  task.status = status.value_or("todo");
  task.priority = priority.value_or("medium");
  if (due_at) task.due_at = *due_at;
  return task;
}

std::variant<TaskPatch, Invalid> ParsePatch(std::string_view body) {
  std::vector<http::FieldError> errors;
  auto json = ParseObject(body, errors);
  if (!errors.empty()) return Invalid{std::move(errors)};
  RejectUnknown(json, errors);
  TaskPatch patch;
  patch.title = Text(json, "title", 1, kMaxTitle, errors);
  patch.description = Text(json, "description", 0, kMaxDescription, errors);
  patch.status = Text(json, "status", 1, 32, errors);
  patch.priority = Text(json, "priority", 1, 32, errors);
  CheckEnum(patch.status, "status", ValidStatus, "todo, in_progress, done", errors);
  CheckEnum(patch.priority, "priority", ValidPriority, "low, medium, high", errors);
  patch.due_at = DueAt(json, errors);
  if (errors.empty() && patch.Empty()) errors.push_back({"body", "names no field to change"});
  if (!errors.empty()) return Invalid{std::move(errors)};
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
  if (!errors.empty()) return Invalid{std::move(errors)};
  return query;
}

}  // namespace keel::tasks
