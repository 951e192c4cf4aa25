// Handlers of the job routes; the event stream polls the job's row, so it works whichever process runs it.
#include "jobs/jobs_module.hpp"

#include <charconv>
#include <memory>

#include <fmt/format.h>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/clock.hpp"
#include "core/wakeup.hpp"
#include "http/change_stream.hpp"
#include "http/pagination.hpp"
#include "http/problem.hpp"
#include "http/router.hpp"
#include "jobs/job_context.hpp"
#include "jobs/job_kinds.hpp"
#include "jobs/job_queue.hpp"
#include "jobs/job_runtime.hpp"
#include "jobs/jobs_config.hpp"
#include "storage/pubsub/pubsub.hpp"

namespace keel::jobs {

// Generated from the openapi.json beside this file.
std::string_view OpenApiPart();

std::string_view JobsModule::OpenApi() const { return OpenApiPart(); }

std::vector<sql::Migration> JobsModule::Migrations(std::string_view backend) const {
  return jobs::Migrations(backend);
}
namespace {

namespace asio = boost::asio;
using http::Request;
using http::Response;

// The stream re-reads the job when its store reports a change (JobStore::SetChangeListener, carried to every
// instance by the platform's publish/subscribe); the poll is only the fallback for a message that got lost.

std::optional<std::int64_t> JobId(const Request& request) {
  auto text = request.params.Get("id").value_or("");
  std::int64_t id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size() || id < 1) return std::nullopt;
  return id;
}

bool MayRead(const Request& request, const JobRecord& job) {
  return request.principal->role == "admin" || (job.owner_id && *job.owner_id == request.principal->subject);
}

// The job, when it exists and the caller may see it; else the response to send (404 for others' jobs, so
// their existence does not leak).
Task<std::variant<JobRecord, Response>> Readable(JobStore& store, const Request& request) {
  auto id = JobId(request);
  if (!id) co_return http::ProblemFrom(Error{ErrorCode::kNotFound, "no such job"});
  auto job = co_await store.Find(*id);
  if (!job) co_return http::ProblemFrom(job.error());
  if (!*job || !MayRead(request, **job))
    co_return http::ProblemFrom(Error{ErrorCode::kNotFound, fmt::format("no job {}", *id)});
  co_return std::move(**job);
}

http::ChangeStream::Snapshot JobSnapshot(const JobRecord& job) {
  auto state = ParseJobState(job.state);
  bool final = state && IsFinal(*state);
  return {fmt::format("{}|{}|{}|{}", job.state, job.attempt, job.progress, job.progress_message),
          final ? "end" : "update", JobJson(job).dump(), final};
}

http::ChangeStream::Snapshot JobGone() { return {"gone", "end", R"({"detail":"the job was pruned"})", true}; }

Task<Response> GetJob(JobStore& store, Request& request) {
  auto found = co_await Readable(store, request);
  if (auto* response = std::get_if<Response>(&found)) co_return std::move(*response);
  co_return Response::Json(200, JobJson(std::get<JobRecord>(found)).dump());
}

// An event whenever the job's state, attempt or progress changed; the stream ends after a final state.
Task<Response> JobEvents(JobStore& store, pubsub::PubSub& pubsub, Request& request) {
  auto found = co_await Readable(store, request);
  if (auto* response = std::get_if<Response>(&found)) co_return std::move(*response);
  asio::any_io_executor executor = co_await asio::this_coro::executor;
  auto job = std::make_shared<std::optional<JobRecord>>(std::get<JobRecord>(std::move(found)));
  const std::int64_t id = (*job)->id;
  http::ChangeStream::Render render = [&store, job, id]() -> Task<Result<http::ChangeStream::Snapshot>> {
    if (!*job) {  // the first rendering uses the row the route read
      auto fresh = co_await store.Find(id);
      if (!fresh) co_return std::move(fresh).error();
      if (!*fresh) co_return JobGone();
      *job = std::move(**fresh);
    }
    JobRecord record = std::move(**job);
    job->reset();
    co_return JobSnapshot(record);
  };
  auto stream = std::make_shared<http::ChangeStream>(std::move(render), Wakeup::Make(executor));
  stream->Follow(pubsub, JobChannel(id));
  co_return Response::EventStream([stream]() { return stream->Next(); });
}

Task<Response> ListJobs(JobStore& store, Request& request) {
  std::vector<http::FieldError> errors;
  auto pagination = http::ParsePagination(request, errors);
  JobFilter filter;
  filter.queue = request.QueryParam("queue").value_or("");
  filter.kind = request.QueryParam("kind").value_or("");
  filter.state = request.QueryParam("state").value_or("");
  if (!filter.state.empty() && !ParseJobState(filter.state))
    errors.push_back(
        {"state",
         "must be one of available, scheduled, running, retryable, completed, discarded, cancelled"});
  if (!errors.empty()) co_return http::InvalidFieldsProblem(errors);
  auto page = co_await store.List(filter, pagination.page, pagination.per_page);
  if (!page) co_return http::ProblemFrom(page.error());
  nlohmann::json items = nlohmann::json::array();
  for (const auto& job : page->items) items.push_back(JobJson(job));
  co_return Response::Json(200, nlohmann::json{{"items", std::move(items)},
                                               {"page", pagination.page},
                                               {"per_page", pagination.per_page},
                                               {"total", page->total}}
                                    .dump());
}

Task<Response> RetryJob(JobQueue& queue, Request& request) {
  auto id = JobId(request);
  if (!id) co_return http::ProblemFrom(Error{ErrorCode::kNotFound, "no such job"});
  auto job = co_await queue.store().Retry(*id, queue.clock().WallMillis());
  if (!job) co_return http::ProblemFrom(job.error());
  queue.Wake(job->queue);
  co_return Response::Json(200, JobJson(*job).dump());
}

Task<Response> CancelJob(JobQueue& queue, Request& request) {
  auto id = JobId(request);
  if (!id) co_return http::ProblemFrom(Error{ErrorCode::kNotFound, "no such job"});
  auto job = co_await queue.store().Cancel(*id, queue.clock().WallMillis());
  if (!job) co_return http::ProblemFrom(job.error());
  co_return Response::Json(200, JobJson(*job).dump());
}

Task<Response> Queues(JobQueue& queue, Request&) {
  auto depths = co_await queue.store().Depths();
  if (!depths) co_return http::ProblemFrom(depths.error());
  auto now = queue.clock().WallMillis();
  std::map<std::string, nlohmann::json> queues;
  auto entry = [&queues](const std::string& name) -> nlohmann::json& {
    auto& q = queues[name];
    if (q.is_null())
      q = {{"name", name},
           {"depth", {{"available", 0}, {"scheduled", 0}, {"running", 0}, {"retryable", 0}}},
           {"oldest_available_age_s", 0.0},
           {"workers", nullptr}};
    return q;
  };
  for (const auto& depth : *depths) {
    auto& q = entry(depth.queue);
    for (const auto& [state, count] : depth.by_state) q["depth"][state] = count;
    if (depth.oldest_available_ms)
      q["oldest_available_age_s"] =
          static_cast<double>(std::max<std::int64_t>(0, now - *depth.oldest_available_ms)) / 1000.0;
  }
  if (JobRuntime* runtime = queue.runtime())
    for (const auto& counts : runtime->Workers())
      entry(counts.queue)["workers"] = {{"busy", counts.busy},
                                        {"total", counts.total},
                                        {"max", counts.max},
                                        {"process", runtime->worker_id()}};
  nlohmann::json items = nlohmann::json::array();
  for (auto& [name, q] : queues) items.push_back(std::move(q));
  co_return Response::Json(200, nlohmann::json{{"queues", std::move(items)}}.dump());
}

}  // namespace

ConfigSchema JobsModule::ConfigKeys() const { return jobs::ConfigKeys(); }

Result<void> JobsModule::Register(ModuleContext& context) {
  JobQueue& queue = context.jobs();
  JobStore& store = queue.store();
  http::Router& router = context.router();
  router.Add(
      "GET", "/api/v1/jobs/{id}", [&store](Request& r) { return GetJob(store, r); },
      http::RouteOptions{.authenticated = true});
  router.Add(
      "GET", "/api/v1/jobs/{id}/events",
      [&store, &pubsub = context.pubsub()](Request& r) { return JobEvents(store, pubsub, r); },
      http::RouteOptions{.authenticated = true});
  router.Add(
      "GET", "/api/v1/admin/jobs", [&store](Request& r) { return ListJobs(store, r); },
      http::RouteOptions{.admin_only = true});
  router.Add(
      "POST", "/api/v1/admin/jobs/{id}/retry", [&queue](Request& r) { return RetryJob(queue, r); },
      http::RouteOptions{.admin_only = true});
  router.Add(
      "POST", "/api/v1/admin/jobs/{id}/cancel", [&queue](Request& r) { return CancelJob(queue, r); },
      http::RouteOptions{.admin_only = true});
  router.Add(
      "GET", "/api/v1/admin/queues", [&queue](Request& r) { return Queues(queue, r); },
      http::RouteOptions{.admin_only = true});

  auto retention = JobsOptions::Read(context.config()).retention;
  auto prune = JobKind::Make(
      "maintenance.prune_jobs", "maintenance",
      [&store, &clock = context.clock(), retention](JobContext& context) -> Result<nlohmann::json> {
        auto before =
            clock.WallMillis() - std::chrono::duration_cast<std::chrono::milliseconds>(retention).count();
        auto pruned = context.Await(store.PruneFinished(before));
        if (!pruned) return std::move(pruned).error();
        return nlohmann::json{{"pruned", *pruned}};
      });
  prune.max_attempts = 3;
  context.job_kinds().Add(std::move(prune));
  auto hourly = CronSchedule::Parse("17 * * * *");
  context.job_kinds().AddPeriodic(PeriodicJob{"maintenance.prune_jobs", std::move(hourly).value()});
  return Ok();
}

}  // namespace keel::jobs
