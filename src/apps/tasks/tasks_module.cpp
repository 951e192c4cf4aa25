// Handlers of /api/v1/tasks: parse and check input, call TaskStore, shape JSON, ETags and Link headers.
#include "apps/tasks/tasks_module.hpp"

#include <memory>

#include <fmt/format.h>

#include "apps/tasks/task_input.hpp"
#include "apps/tasks/task_reminders.hpp"
#include "apps/tasks/task_store.hpp"
#include "http/problem.hpp"
#include "http/router.hpp"
#include "storage/kv/cache_generations.hpp"

namespace keel::tasks {

// Generated from the openapi.json beside this file.
std::string_view OpenApiPart();

std::string_view TasksModule::OpenApi() const { return OpenApiPart(); }

std::vector<sql::Migration> TasksModule::Migrations(std::string_view backend) const {
  return tasks::Migrations(backend);
}
namespace {

using http::Request;
using http::Response;

constexpr std::string_view kCollection = "/api/v1/tasks";

Response WithTask(int status, const TaskRecord& task) {
  Response response = Response::Json(status, TaskJson(task));
  response.headers.Add("ETag", ETagOf(task));
  return response;
}

// If-Match: nothing when absent or "*"; the version a client expects otherwise ("v7", weak or strong).
// An unparseable tag can never match, so it becomes version 0.
std::optional<std::int64_t> ExpectedVersion(const Request& request) {
  auto header = request.headers.Get("If-Match");
  if (!header || *header == "*") return std::nullopt;
  std::string_view tag = *header;
  if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);
  if (tag.size() < 4 || tag.front() != '"' || tag.back() != '"' || tag[1] != 'v') return 0;
  std::int64_t version = 0;
  for (char c : tag.substr(2, tag.size() - 3)) {
    if (c < '0' || c > '9') return 0;
    version = version * 10 + (c - '0');
  }
  return version;
}

std::string PageLink(const ListQuery& q, std::int64_t page) {
  static constexpr const char* kSort[] = {"created_at", "due_at", "priority"};
  std::string link = fmt::format("<{}?page={}&per_page={}&sort={}&order={}", kCollection, page, q.per_page,
                                 kSort[static_cast<int>(q.sort)], q.descending ? "desc" : "asc");
  if (q.status) link += "&status=" + *q.status;
  if (q.priority) link += "&priority=" + *q.priority;
  if (q.user_id) link += "&user_id=" + *q.user_id;  // ids are hex: nothing to escape
  return link + ">";
}

// The total of a list page's JSON, which ends with "total":N}.
std::int64_t TotalOf(std::string_view body) {
  auto at = body.rfind("\"total\":");
  std::int64_t total = 0;
  for (std::size_t i = at + 8;
       at != std::string_view::npos && i < body.size() && body[i] >= '0' && body[i] <= '9'; ++i)
    total = total * 10 + (body[i] - '0');
  return total;
}

}  // namespace

class TaskRoutes {
 public:
  TaskRoutes(sql::Database& db, kv::KvStore& kv, jobs::JobQueue& jobs, Metrics& metrics)
      : generations_(kv, "tasks", kTaskListCacheTtl * 2, metrics),
        reminders_(jobs),
        store_(db, kv, generations_, jobs.clock(), &reminders_) {}

  kv::CacheGenerations& generations() { return generations_; }

  Task<Response> Create(Request& request) {
    auto parsed = ParseNewTask(request.body);
    if (auto* invalid = std::get_if<Invalid>(&parsed)) co_return invalid->ToResponse();
    auto task = co_await store_.Create(request.principal->subject, std::get<TaskRecord>(std::move(parsed)));
    if (!task) co_return http::ProblemFrom(task.error());
    Response response = WithTask(201, *task);
    response.headers.Add("Location", fmt::format("{}/{}", kCollection, task->id));
    co_return response;
  }

  Task<Response> List(Request& request) {
    auto parsed = ParseListQuery(request);
    if (auto* invalid = std::get_if<Invalid>(&parsed)) co_return invalid->ToResponse();
    ListQuery query = std::get<ListQuery>(std::move(parsed));
    std::string owner = request.principal->subject;
    if (query.user_id && *query.user_id != owner) {
      if (request.principal->role != "admin")
        co_return http::ProblemFrom(
            Error{ErrorCode::kPermissionDenied, "only administrators may pass user_id"});
      owner = *query.user_id;
    }
    auto body = co_await store_.ListJson(owner, query);
    if (!body) co_return http::ProblemFrom(body.error());
    std::int64_t total = TotalOf(*body);
    Response response = Response::Json(200, std::move(*body));
    std::string links;
    if (query.page * query.per_page < total) links = PageLink(query, query.page + 1) + "; rel=\"next\"";
    if (query.page > 1) {
      if (!links.empty()) links += ", ";
      links += PageLink(query, query.page - 1) + "; rel=\"prev\"";
    }
    if (!links.empty()) response.headers.Add("Link", links);
    co_return response;
  }

  Task<Response> Get(Request& request) {
    auto task = co_await store_.Find(request.principal->subject, std::string(*request.params.Get("id")));
    if (!task) co_return http::ProblemFrom(task.error());
    if (request.headers.Get("If-None-Match") == ETagOf(*task)) {
      Response not_modified = Response::Empty(304);
      not_modified.headers.Add("ETag", ETagOf(*task));
      co_return not_modified;
    }
    co_return WithTask(200, *task);
  }

  Task<Response> Patch(Request& request) {
    auto parsed = ParsePatch(request.body);
    if (auto* invalid = std::get_if<Invalid>(&parsed)) co_return invalid->ToResponse();
    auto task = co_await store_.Update(request.principal->subject, std::string(*request.params.Get("id")),
                                       std::get<TaskPatch>(std::move(parsed)), ExpectedVersion(request));
    if (!task) co_return http::ProblemFrom(task.error());
    co_return WithTask(200, *task);
  }

  Task<Response> Delete(Request& request) {
    auto deleted = co_await store_.Delete(request.principal->subject, std::string(*request.params.Get("id")),
                                          ExpectedVersion(request));
    if (!deleted) co_return http::ProblemFrom(deleted.error());
    co_return Response::Empty(204);
  }

 private:
  kv::CacheGenerations generations_;
  TaskReminders reminders_;
  TaskStore store_;
};

TasksModule::TasksModule() = default;
TasksModule::~TasksModule() = default;

void TasksModule::Start() { routes_->generations().Start(); }

void TasksModule::Stop() { routes_->generations().Stop(); }

Result<void> TasksModule::Register(ModuleContext& context) {
  routes_ = std::make_unique<TaskRoutes>(context.database(), context.kv(), context.jobs(), context.metrics());
  AddReminderJobs(context.database(), context.jobs(), context.job_kinds());
  TaskRoutes* r = routes_.get();
  const http::RouteOptions authed{.authenticated = true};
  const http::RouteOptions authed_json{.json_body = true, .authenticated = true};
  http::Router& router = context.router();
  router.Add(
      "POST", "/api/v1/tasks", [r](Request& q) { return r->Create(q); }, authed_json);
  router.Add(
      "GET", "/api/v1/tasks", [r](Request& q) { return r->List(q); }, authed);
  router.Add(
      "GET", "/api/v1/tasks/{id}", [r](Request& q) { return r->Get(q); }, authed);
  router.Add(
      "PATCH", "/api/v1/tasks/{id}", [r](Request& q) { return r->Patch(q); }, authed_json);
  router.Add(
      "DELETE", "/api/v1/tasks/{id}", [r](Request& q) { return r->Delete(q); }, authed);
  return Ok();
}

}  // namespace keel::tasks
