// The workers of one process: per queue, a dispatcher that claims jobs as worker threads free up, the
// threads that run handlers, heartbeats that keep leases alive (and notice cancellation, lost leases and
// timeouts), the lease reaper, and the cron scheduler when this process holds the scheduler lease.
//
// Everything asynchronous runs on the runtime's own event-loop thread; handlers run on the queue's worker
// threads.
//
// Shutdown (Stop): claims stop, jobs claimed but not started are released at once, running handlers get
// until the drain deadline, then are told to stop and their leases are released so another process picks
// them up immediately.
//
// Thread safety: Wake and Workers may be called from any thread; Start and Stop from one owner thread.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/clock.hpp"
#include "jobs/job_kinds.hpp"
#include "jobs/job_metrics.hpp"
#include "jobs/job_store.hpp"
#include "jobs/queue_workers.hpp"

namespace keel::jobs {

struct QueueOptions {
  std::string name;
  int min_workers = 1;
  int max_workers = 4;
};

struct RuntimeOptions {
  std::string worker_id;                            // lease owner; unique per process
  std::vector<QueueOptions> queues;                 // the queues this process works
  std::chrono::milliseconds poll_interval{200};     // claim attempts when nothing woke the dispatcher
  std::chrono::milliseconds lease{30000};           // a lease lasts this long without a heartbeat
  std::chrono::milliseconds heartbeat{1000};        // lease renewal and cancellation/timeout checks
  std::chrono::milliseconds rescue_interval{1000};  // the reaper of expired leases
  std::chrono::milliseconds idle_worker_timeout{10000};
  bool scheduler = true;  // compete for the scheduler lease and fire periodic jobs
};

struct WorkerCounts {
  std::string queue;
  int busy = 0;
  int total = 0;
  int max = 0;
};

class JobRuntime {
 public:
  // `clock` decides leases, time-outs, retries and schedules; the loop's timers (polls, heartbeats, the
  // reaper) and the drain deadline run on real time.
  JobRuntime(JobStore& store, const JobKinds& kinds, JobMetrics& metrics, const Clock& clock,
             RuntimeOptions options);
  ~JobRuntime();
  JobRuntime(const JobRuntime&) = delete;
  JobRuntime& operator=(const JobRuntime&) = delete;

  void Start();
  // New work may be ready on `queue`: claim now instead of at the next poll.
  void Wake(const std::string& queue);
  // Every queue this process works (after a gap in notifications, when any of them may have work).
  void WakeAll();
  // See the file comment. False when a handler ignored cancellation past the deadline (its thread still
  // runs; every lease is released anyway, so the caller may end the process).
  bool Stop(std::chrono::milliseconds drain_timeout);

  std::vector<WorkerCounts> Workers() const;
  const std::string& worker_id() const { return options_.worker_id; }

 private:
  struct QueueState {
    std::unique_ptr<QueueWorkers> workers;
    std::unique_ptr<boost::asio::steady_timer> timer;
    bool wake_pending = false;             // on the loop thread only
    std::atomic<bool> more_likely{false};  // the last claim filled every free slot
  };

  Task<void> Dispatch(QueueState& queue);
  Task<void> Finish(std::shared_ptr<RunningJob> running, Result<nlohmann::json> outcome, double seconds);
  // Gives a job that deferred itself back to its queue, its attempt unspent.
  Task<void> Defer(std::shared_ptr<RunningJob> running, std::chrono::milliseconds delay);
  Task<void> Heartbeats();
  Task<void> Reaper();
  Task<void> Scheduler();
  Task<void> FireDue(const PeriodicJob& periodic, std::int64_t now_ms);
  Task<void> Release(std::vector<std::shared_ptr<RunningJob>> jobs);
  Task<void> Progress(std::shared_ptr<RunningJob> running, int percent, std::string message);
  void RunHandler(std::shared_ptr<RunningJob> running);
  void Spawn(Task<void> task);
  // When a failed attempt of `job` may run again (its kind's back-off with jitter).
  std::int64_t RetryAt(const ClaimedJob& job, std::int64_t now_ms) const;
  void RunAndWait(std::function<Task<void>()> body);
  QueueState* Find(const std::string& queue);

  JobStore& store_;
  const JobKinds& kinds_;
  JobMetrics& metrics_;
  const Clock& clock_;
  const RuntimeOptions options_;
  boost::asio::io_context io_;
  std::thread loop_;
  bool started_ = false;
  bool stopped_ = false;
  std::atomic<bool> stopping_{false};
  std::map<std::string, std::unique_ptr<QueueState>> queues_;
  std::map<std::int64_t, std::shared_ptr<RunningJob>> running_;  // on the loop thread only
  std::atomic<int> in_flight_{0};  // coroutines spawned on the loop and not yet finished
  std::unique_ptr<boost::asio::steady_timer> heartbeat_timer_;
  std::unique_ptr<boost::asio::steady_timer> reaper_timer_;
  std::unique_ptr<boost::asio::steady_timer> scheduler_timer_;
  bool holds_scheduler_lease_ = false;  // on the loop thread only
  bool stopped_loop_ = false;           // on the loop thread only
};

}  // namespace keel::jobs
