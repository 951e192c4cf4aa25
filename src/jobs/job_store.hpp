// The SQL of the job queue: enqueue (alone or inside the caller's transaction), claim with a lease,
// heartbeat, complete, fail, release, progress, the lease reaper, admin operations and the scheduler's
// tables.
//
// Fencing: every claim bumps the job's lease_token, and every later write by the worker names the token it
// got and requires state = 'running'. A worker whose lease expired, was taken over or cancelled therefore
// cannot complete, fail, update or extend the job: those writes report `false` and change nothing.
//
// Times are Unix milliseconds passed in by the caller, so tests choose the clock.
// Thread safety: safe from any thread running an io_context (the Database is).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/async.hpp"
#include "jobs/job.hpp"
#include "storage/sql/database.hpp"

namespace keel::jobs {

struct JobFilter {
  std::string queue;  // empty: any
  std::string state;  // empty: any
  std::string kind;   // empty: any
};

struct JobPage {
  std::vector<JobRecord> items;
  std::int64_t total = 0;
};

struct RescuedJob {
  std::int64_t id = 0;
  std::string kind;
  std::string queue;
  std::string state;  // available again, or discarded when it was the last attempt
};

struct QueueDepth {
  std::string queue;
  std::map<std::string, std::int64_t> by_state;     // live states only, zero-filled
  std::optional<std::int64_t> oldest_available_ms;  // run_at of the oldest ready job
};

// The publish/subscribe channel of a job's changes (what the change listener publishes on).
inline std::string JobChannel(std::int64_t job_id) { return "jobs." + std::to_string(job_id); }

class JobStore {
 public:
  explicit JobStore(sql::Database& db) : db_(db) {}

  // Called with a job's id after every committed write that changes what GET /api/v1/jobs/{id} shows
  // (claimed, progress, finished, released, rescued, retried, cancelled): the event stream's wake-up. Set
  // before use.
  void SetChangeListener(std::function<void(std::int64_t)> listener) { changed_ = std::move(listener); }

  // REQUIRES: request.queue and request.max_attempts resolved (JobQueue does that).
  Task<Result<Enqueued>> Enqueue(JobRequest request, std::int64_t now_ms);
  Task<Result<Enqueued>> Enqueue(sql::Session& session, JobRequest request, std::int64_t now_ms);

  // Leases up to `limit` ready jobs of `queue` (highest priority, then oldest run_at) to `worker`.
  Task<Result<std::vector<ClaimedJob>>> Claim(std::string queue, std::string worker, int limit,
                                              std::int64_t now_ms, std::int64_t lease_ms);
  Task<Result<bool>> Heartbeat(std::int64_t id, std::int64_t token, std::int64_t now_ms,
                               std::int64_t lease_ms);
  Task<Result<bool>> Progress(std::int64_t id, std::int64_t token, int percent, std::string message,
                              std::int64_t now_ms);
  Task<Result<bool>> Complete(std::int64_t id, std::int64_t token, std::string result_json,
                              std::int64_t now_ms);
  // Records the error; retryable at retry_at_ms, or discarded when this was the last attempt. The state it
  // moved to, or nullopt when fenced.
  Task<Result<std::optional<std::string>>> Fail(std::int64_t id, std::int64_t token, std::string error,
                                                std::int64_t retry_at_ms, std::int64_t now_ms);
  // Gives the job back without spending the attempt: available again at run_at_ms (shutdown: at once; a job
  // that deferred itself: later).
  Task<Result<bool>> Release(std::int64_t id, std::int64_t token, std::int64_t now_ms,
                             std::int64_t run_at_ms);
  // Running jobs whose lease expired: available again, or discarded when it was their last attempt.
  Task<Result<std::vector<RescuedJob>>> RescueExpired(std::int64_t now_ms);

  Task<Result<std::optional<JobRecord>>> Find(std::int64_t id);
  Task<Result<JobPage>> List(JobFilter filter, std::int64_t page, std::int64_t per_page);
  // Runs a finished or waiting job again now (with one more attempt when it had none left). kConflict while
  // it runs; kNotFound for no such job.
  Task<Result<JobRecord>> Retry(std::int64_t id, std::int64_t now_ms);
  // kConflict when the job already finished.
  Task<Result<JobRecord>> Cancel(std::int64_t id, std::int64_t now_ms);
  // Cancels the live job with this unique key, if any; true when one was cancelled.
  Task<Result<bool>> CancelUnique(sql::Session& session, std::string unique_key, std::int64_t now_ms);
  Task<Result<bool>> CancelUnique(std::string unique_key, std::int64_t now_ms);
  Task<Result<std::vector<QueueDepth>>> Depths();
  // Deletes finished jobs whose finished_at is before `before_ms`; how many.
  Task<Result<std::int64_t>> PruneFinished(std::int64_t before_ms);

  // A named lease between processes: true when `owner` holds it until now + ttl.
  Task<Result<bool>> AcquireLease(std::string name, std::string owner, std::int64_t now_ms,
                                  std::int64_t ttl_ms);
  Task<Result<void>> DropLease(std::string name, std::string owner);
  // The last fired tick of a periodic kind.
  Task<Result<std::optional<std::int64_t>>> LastTick(std::string kind);
  // Advances the kind's last tick from `previous` (nullopt: never fired) to `tick` and, when `run` is given,
  // enqueues it, in one transaction. False when another scheduler advanced it first (nothing enqueued).
  Task<Result<bool>> AdvanceSchedule(std::string kind, std::optional<std::int64_t> previous,
                                     std::int64_t tick, std::optional<JobRequest> run, std::int64_t now_ms);

 private:
  // Why a conditional admin update touched nothing: no such job (404), or its state (409, `conflict`).
  Task<Error> WhyUnchanged(std::int64_t id, std::string_view conflict);
  void Changed(std::int64_t id) const {
    if (changed_) changed_(id);
  }

  sql::Database& db_;
  std::function<void(std::int64_t)> changed_;
};

}  // namespace keel::jobs
