// JobQueue: request resolution against the registered kinds, then the store.
#include "jobs/job_queue.hpp"

#include <chrono>

#include <fmt/format.h>

#include "core/clock.hpp"
#include "jobs/job_runtime.hpp"

namespace keel::jobs {

Result<JobRequest> JobQueue::Resolve(JobRequest request) const {
  const JobKind* kind = kinds_.Find(request.kind);
  if (kind == nullptr)
    return Error{ErrorCode::kInvalidArgument, fmt::format("unknown job kind {}", request.kind)};
  if (request.queue.empty()) request.queue = kind->queue;
  if (request.max_attempts <= 0) request.max_attempts = kind->max_attempts;
  if (!request.args.is_object())
    return Error{ErrorCode::kInvalidArgument, "job arguments must be a JSON object"};
  return request;
}

std::string JobQueue::QueueOf(const JobRequest& request) const {
  if (!request.queue.empty()) return request.queue;
  const JobKind* kind = kinds_.Find(request.kind);
  return kind != nullptr ? kind->queue : std::string();
}

Task<Result<Enqueued>> JobQueue::Enqueue(JobRequest request) {
  auto resolved = Resolve(std::move(request));
  if (!resolved) co_return std::move(resolved).error();
  auto enqueued = co_await store_.Enqueue(*resolved, clock_.WallMillis());
  if (enqueued && enqueued->created) {
    metrics_.Enqueued(resolved->queue, resolved->kind);
    Wake(resolved->queue);
  }
  co_return enqueued;
}

Task<Result<Enqueued>> JobQueue::Enqueue(sql::Session& session, JobRequest request) {
  auto resolved = Resolve(std::move(request));
  if (!resolved) co_return std::move(resolved).error();
  auto enqueued = co_await store_.Enqueue(session, *resolved, clock_.WallMillis());
  if (enqueued && enqueued->created) metrics_.Enqueued(resolved->queue, resolved->kind);
  co_return enqueued;
}

void JobQueue::Wake(const std::string& queue) {
  if (JobRuntime* runtime = runtime_.load()) runtime->Wake(queue);
}

}  // namespace keel::jobs
