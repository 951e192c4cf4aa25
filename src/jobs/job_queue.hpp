// What modules use to enqueue work: resolves a kind's queue and attempts, counts, and wakes this process's
// workers so a job enqueued here starts without waiting for the next poll.
//
// Thread safety: Enqueue and Wake are safe from any IO thread; SetRuntime before serving.
#pragma once

#include <atomic>
#include <string>

#include "core/clock.hpp"
#include "jobs/job_kinds.hpp"
#include "jobs/job_metrics.hpp"
#include "jobs/job_store.hpp"

namespace keel::jobs {

class JobRuntime;

class JobQueue {
 public:
  JobQueue(JobStore& store, const JobKinds& kinds, JobMetrics& metrics, const Clock& clock)
      : store_(store), kinds_(kinds), metrics_(metrics), clock_(clock) {}

  // kInvalidArgument for a kind no module registered.
  Task<Result<Enqueued>> Enqueue(JobRequest request);
  // Inside the caller's transaction, so the job exists exactly when the caller's write does. Call Wake(queue)
  // after the commit for an immediate start.
  Task<Result<Enqueued>> Enqueue(sql::Session& session, JobRequest request);
  void Wake(const std::string& queue);

  // The local workers to wake, when this process runs any.
  void SetRuntime(JobRuntime* runtime) { runtime_ = runtime; }
  JobRuntime* runtime() const { return runtime_; }
  JobStore& store() { return store_; }
  // The time jobs are enqueued, retried and cancelled at.
  const Clock& clock() const { return clock_; }
  const JobKinds& kinds() const { return kinds_; }

  // The queue `request` will land in (its own, or its kind's).
  std::string QueueOf(const JobRequest& request) const;

 private:
  Result<JobRequest> Resolve(JobRequest request) const;

  JobStore& store_;
  const JobKinds& kinds_;
  JobMetrics& metrics_;
  const Clock& clock_;
  std::atomic<JobRuntime*> runtime_{nullptr};
};

}  // namespace keel::jobs
