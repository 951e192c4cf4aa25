// The debug job kinds and POST /api/v1/debug/jobs.
#include "jobs/debug_module.hpp"

#include <cstdlib>
#include <fstream>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include "core/rfc3339.hpp"
#include "http/debug_routes.hpp"
#include "http/json_fields.hpp"
#include "http/problem.hpp"
#include "jobs/job_context.hpp"
#include "jobs/job_kinds.hpp"
#include "jobs/job_queue.hpp"

namespace keel::jobs {
namespace {

void AppendLine(const std::string& path, const std::string& line) {
  if (path.empty()) return;
  std::ofstream out(path, std::ios::app);
  out << line << "\n";
}

Result<nlohmann::json> Flaky(JobContext& context) {
  auto failures = context.args().value("failures", 0);
  if (context.attempt() <= failures)
    return Error{ErrorCode::kUnavailable, fmt::format("deliberate failure on attempt {}", context.attempt())};
  return nlohmann::json{{"attempt", context.attempt()}};
}

Result<nlohmann::json> SleepJob(JobContext& context) {
  auto ms = context.args().value("ms", 0);
  auto marker = context.args().value("marker", std::string());
  // ignore_cancel: a handler that does not look at cancellation, to show its late result is refused.
  bool ignore_cancel = context.args().value("ignore_cancel", false);
  AppendLine(marker, fmt::format("start {} {}", context.job().id, context.attempt()));
  constexpr int kSteps = 10;
  for (int step = 1; step <= kSteps; ++step) {
    if (ignore_cancel) {
      std::this_thread::sleep_for(std::chrono::milliseconds(ms / kSteps));
    } else if (!context.Sleep(std::chrono::milliseconds(ms / kSteps))) {
      return Error{ErrorCode::kUnavailable, "stopped: " + context.CancelReason()};
    }
    context.Progress(step * 100 / kSteps, fmt::format("slept {} of {} ms", ms * step / kSteps, ms));
  }
  AppendLine(marker, fmt::format("done {} {}", context.job().id, context.attempt()));
  return nlohmann::json{{"slept_ms", ms}, {"attempt", context.attempt()}};
}

Task<http::Response> EnqueueDebugJob(JobQueue& queue, http::Request& request) {
  http::JsonFields fields(request.body);
  fields.RejectUnknown({"kind", "args", "queue", "priority", "run_at", "unique_key", "max_attempts"});
  JobRequest job;
  job.kind = fields.String("kind", 1, 128, true).value_or("");
  job.queue = fields.String("queue", 1, 64, false).value_or("");
  job.unique_key = fields.String("unique_key", 1, 256, false).value_or("");
  auto run_at = fields.String("run_at", 1, 64, false);
  if (const auto* args = fields.Member("args")) {
    if (!args->is_object())
      fields.AddError("args", "must be an object");
    else
      job.args = *args;
  }
  for (auto [name, target] :
       {std::pair{"priority", &job.priority}, std::pair{"max_attempts", &job.max_attempts}}) {
    const auto* value = fields.Member(name);
    if (value == nullptr) continue;
    if (!value->is_number_integer() || std::abs(value->get<std::int64_t>()) > 1000)
      fields.AddError(name, "must be an integer from -1000 to 1000");
    else
      *target = value->get<int>();
  }
  if (!fields.ok()) co_return fields.Problem();
  if (run_at) {
    auto parsed = ParseRfc3339(*run_at);
    if (!parsed)
      co_return http::InvalidFieldsProblem({{"run_at", "must be an RFC 3339 date-time", "/run_at"}});
    job.run_at_ms = *parsed;
  }
  auto enqueued = co_await queue.Enqueue(std::move(job));
  if (!enqueued) co_return http::ProblemFrom(enqueued.error());
  co_return http::Response::Json(enqueued->created ? 201 : 200,
                                 nlohmann::json{{"id", enqueued->id}, {"created", enqueued->created}}.dump());
}

}  // namespace

Result<void> DebugModule::Register(ModuleContext& context) {
  if (!context.config().Bool("debug.routes")) return Ok();
  http::AddDebugRoutes(context.router(), context.pool());
  JobKinds& kinds = context.job_kinds();
  const BackoffPolicy quick{std::chrono::milliseconds(100), std::chrono::milliseconds(1000)};
  kinds.Add(JobKind::Make("debug.noop", "default",
                          [](JobContext&) -> Result<nlohmann::json> { return nlohmann::json(nullptr); }));
  auto flaky = JobKind::Make("debug.flaky", "default", Flaky);
  flaky.backoff = quick;
  kinds.Add(std::move(flaky));
  auto sleep = JobKind::Make("debug.sleep", "default", SleepJob);
  sleep.backoff = quick;
  sleep.timeout = std::chrono::milliseconds(120000);
  kinds.Add(std::move(sleep));
  if (const char* tick_file = std::getenv("KEEL_TEST_TICK_FILE");
      tick_file != nullptr && *tick_file != '\0') {
    std::string path = tick_file;
    kinds.Add(JobKind::Make("debug.tick", "default", [path](JobContext& context) -> Result<nlohmann::json> {
      AppendLine(path, fmt::format("{} {}", context.args().value("tick", std::int64_t{0}), context.job().id));
      return nlohmann::json(nullptr);
    }));
    kinds.AddPeriodic(PeriodicJob{"debug.tick", CronSchedule::Parse("* * * * * *").value()});
  }
  JobQueue& queue = context.jobs();
  context.router().Add(
      "POST", "/api/v1/debug/jobs", [&queue](http::Request& r) { return EnqueueDebugJob(queue, r); },
      http::RouteOptions{.json_body = true, .rate_policy = ""});
  return Ok();
}

}  // namespace keel::jobs
