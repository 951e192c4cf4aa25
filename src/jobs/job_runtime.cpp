// JobRuntime: dispatchers, handler execution, completion, heartbeats, the reaper, the scheduler, shutdown.
#include "jobs/job_runtime.hpp"

#include <future>
#include <random>

#include <fmt/format.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/clock.hpp"
#include "core/log.hpp"
#include "jobs/job_context.hpp"

namespace keel::jobs {
namespace {

namespace asio = boost::asio;
using std::chrono::milliseconds;
using std::chrono::steady_clock;
using std::chrono::system_clock;

constexpr const char* kSchedulerLease = "scheduler";
constexpr milliseconds kSchedulerLeaseTtl{10000};
constexpr milliseconds kSchedulerPeriod{500};
constexpr milliseconds kShutdownGrace{5000};  // for cancelled handlers to return after the drain deadline

double Jitter() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

Task<void> Sleep(asio::steady_timer& timer, milliseconds duration) {
  timer.expires_after(duration);
  boost::system::error_code ignored;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
}

// The latest tick of `schedule` at or before `now`, found by widening a window backwards until it holds a
// tick and then walking forward: a few Next calls however long the process was down.
std::int64_t LatestTickAtOrBefore(const CronSchedule& schedule, std::int64_t now_ms) {
  system_clock::time_point now{milliseconds(now_ms)};
  for (auto window = std::chrono::seconds(1); window < std::chrono::hours(24 * 366 * 5); window *= 2) {
    auto tick = schedule.Next(now - window);
    if (tick > now) continue;
    for (auto next = schedule.Next(tick); next <= now; next = schedule.Next(tick)) tick = next;
    return std::chrono::duration_cast<milliseconds>(tick.time_since_epoch()).count();
  }
  return now_ms;
}

}  // namespace

JobRuntime::JobRuntime(JobStore& store, const JobKinds& kinds, JobMetrics& metrics, const Clock& clock,
                       RuntimeOptions options)
    : store_(store), kinds_(kinds), metrics_(metrics), clock_(clock), options_(std::move(options)) {}

JobRuntime::~JobRuntime() {
  if (started_ && !stopped_) (void)Stop(milliseconds(0));
}

void JobRuntime::Start() {
  for (const auto& queue : options_.queues) {
    auto state = std::make_unique<QueueState>();
    state->timer = std::make_unique<asio::steady_timer>(io_);
    state->workers = std::make_unique<QueueWorkers>(
        queue.name, queue.min_workers, queue.max_workers, options_.idle_worker_timeout,
        [this](std::shared_ptr<RunningJob> running) { RunHandler(std::move(running)); });
    queues_.emplace(queue.name, std::move(state));
  }
  heartbeat_timer_ = std::make_unique<asio::steady_timer>(io_);
  reaper_timer_ = std::make_unique<asio::steady_timer>(io_);
  scheduler_timer_ = std::make_unique<asio::steady_timer>(io_);
  for (auto& [name, state] : queues_) Spawn(Dispatch(*state));
  Spawn(Heartbeats());
  Spawn(Reaper());
  if (options_.scheduler && !kinds_.periodic().empty()) Spawn(Scheduler());
  started_ = true;
  loop_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "keel-jobs");
    auto guard = asio::make_work_guard(io_);
    io_.run();
  });
  log::Info("job workers started", log::Fields()
                                       .Add("worker", options_.worker_id)
                                       .Add("queues", static_cast<std::int64_t>(queues_.size())));
}

JobRuntime::QueueState* JobRuntime::Find(const std::string& queue) {
  auto found = queues_.find(queue);
  return found == queues_.end() ? nullptr : found->second.get();
}

void JobRuntime::Wake(const std::string& queue) {
  QueueState* state = Find(queue);
  if (state == nullptr || !started_) return;
  asio::post(io_, [state] {
    state->wake_pending = true;
    state->timer->cancel();
  });
}

void JobRuntime::WakeAll() {
  for (const auto& [name, state] : queues_) Wake(name);
}

Task<void> JobRuntime::Dispatch(QueueState& queue) {
  const std::string& name = queue.workers->name();
  while (!stopping_) {
    int free = queue.workers->FreeSlots();
    bool filled = false;
    if (free > 0) {
      auto claimed =
          co_await store_.Claim(name, options_.worker_id, free, clock_.WallMillis(), options_.lease.count());
      if (!claimed) {
        log::Warn("job claim failed", log::Fields().Add("queue", name).Add("error", claimed.error().message));
      } else if (!claimed->empty()) {
        filled = static_cast<int>(claimed->size()) == free;
        std::vector<std::shared_ptr<RunningJob>> jobs;
        for (auto& job : *claimed) {
          const JobKind* kind = kinds_.Find(job.kind);
          auto timeout = kind != nullptr ? kind->timeout : std::chrono::milliseconds(std::chrono::minutes(5));
          metrics_.Started(job);
          auto running = std::make_shared<RunningJob>(std::move(job), clock_.Now() + timeout);
          running_[running->job().id] = running;
          jobs.push_back(std::move(running));
        }
        auto refused = queue.workers->Push(std::move(jobs));
        if (!refused.empty()) co_await Release(std::move(refused));
      }
    }
    queue.more_likely = filled || free <= 0;
    if (filled) continue;
    if (queue.wake_pending) {
      queue.wake_pending = false;
      continue;
    }
    co_await Sleep(*queue.timer, options_.poll_interval);
    queue.wake_pending = false;
  }
}

void JobRuntime::RunHandler(std::shared_ptr<RunningJob> running) {
  const ClaimedJob& job = running->job();
  auto started = steady_clock::now();
  Result<nlohmann::json> outcome = nlohmann::json(nullptr);
  std::optional<std::chrono::milliseconds> deferred;
  const JobKind* kind = kinds_.Find(job.kind);
  auto args = nlohmann::json::parse(job.args, nullptr, false);
  if (kind == nullptr) {
    outcome = Error{ErrorCode::kInvalidArgument, fmt::format("no handler for job kind {}", job.kind)};
  } else if (args.is_discarded()) {
    outcome = Error{ErrorCode::kInvalidArgument, "job arguments are not valid JSON"};
  } else {
    JobContext context(
        *running, std::move(args), [this](std::function<Task<void>()> body) { RunAndWait(std::move(body)); },
        [this, running](int percent, std::string message) {
          Spawn(Progress(running, percent, std::move(message)));
        });
    try {
      outcome = kind->handler(context);
    } catch (const std::exception& e) {
      outcome = Error{ErrorCode::kInternal, fmt::format("handler threw: {}", e.what())};
    }
    deferred = context.deferred();
  }
  double seconds = std::chrono::duration<double>(steady_clock::now() - started).count();
  if (deferred && !running->cancelled()) {
    Spawn(Defer(std::move(running), *deferred));
    return;
  }
  Spawn(Finish(std::move(running), std::move(outcome), seconds));
}

std::int64_t JobRuntime::RetryAt(const ClaimedJob& job, std::int64_t now_ms) const {
  const JobKind* kind = kinds_.Find(job.kind);
  return now_ms +
         RetryDelay(kind != nullptr ? kind->backoff : BackoffPolicy{}, job.attempt, Jitter()).count();
}

void JobRuntime::Spawn(Task<void> task) {
  ++in_flight_;
  asio::co_spawn(io_, std::move(task), [this](std::exception_ptr failure) {
    if (failure) log::Error("job runtime task failed", log::Fields());
    --in_flight_;
  });
}

Task<void> JobRuntime::Progress(std::shared_ptr<RunningJob> running, int percent, std::string message) {
  auto kept = co_await store_.Progress(running->job().id, running->job().lease_token, percent,
                                       std::move(message), clock_.WallMillis());
  if (kept && !*kept) running->Cancel("lease lost: the job was cancelled or taken over");
}

Task<void> JobRuntime::Defer(std::shared_ptr<RunningJob> running, std::chrono::milliseconds delay) {
  const ClaimedJob& job = running->job();
  running_.erase(job.id);
  auto now = clock_.WallMillis();
  auto released = co_await store_.Release(job.id, job.lease_token, now, now + delay.count());
  if (!released)
    log::Error("cannot defer a job; it will run again after its lease expires",
               log::Fields().Add("job", job.id).Add("error", released.error().message));
  else
    log::Debug("job deferred",
               log::Fields().Add("job", job.id).Add("kind", job.kind).Add("ms", delay.count()));
}

Task<void> JobRuntime::Finish(std::shared_ptr<RunningJob> running, Result<nlohmann::json> outcome,
                              double seconds) {
  const ClaimedJob& job = running->job();
  running_.erase(job.id);
  auto now = clock_.WallMillis();
  if (outcome) {
    auto completed = co_await store_.Complete(job.id, job.lease_token, outcome->dump(), now);
    if (completed && *completed) {
      metrics_.Completed(job.queue, job.kind, seconds);
    } else if (completed) {
      metrics_.Fenced(job.queue);
      log::Warn("late completion refused: the lease was lost",
                log::Fields().Add("job", job.id).Add("kind", job.kind).Add("reason", running->reason()));
    } else {
      log::Error("cannot record job completion; it will run again after its lease expires",
                 log::Fields().Add("job", job.id).Add("error", completed.error().message));
    }
  } else if (running->cancelled()) {
    // Whoever cancelled it settles the lease (shutdown releases it, a time-out records its own failure, a
    // lost lease belongs to someone else): a failure written here would race that write, and on PostgreSQL,
    // where both run at once, could win it.
    metrics_.Fenced(job.queue);
    log::Warn("late failure refused: the job was cancelled",
              log::Fields().Add("job", job.id).Add("kind", job.kind).Add("reason", running->reason()));
  } else {
    auto state =
        co_await store_.Fail(job.id, job.lease_token, outcome.error().message, RetryAt(job, now), now);
    if (state && *state) {
      metrics_.Failed(job.queue, job.kind, seconds, **state == "discarded");
      log::Warn("job attempt failed", log::Fields()
                                          .Add("job", job.id)
                                          .Add("kind", job.kind)
                                          .Add("attempt", job.attempt)
                                          .Add("state", **state)
                                          .Add("error", outcome.error().message));
    } else if (state) {
      metrics_.Fenced(job.queue);
      log::Warn("late failure refused: the lease was lost",
                log::Fields().Add("job", job.id).Add("kind", job.kind).Add("reason", running->reason()));
    } else {
      log::Error("cannot record job failure; it will run again after its lease expires",
                 log::Fields().Add("job", job.id).Add("error", state.error().message));
    }
  }
  QueueState* queue = Find(job.queue);
  if (queue != nullptr && queue->more_likely) {
    queue->wake_pending = true;
    queue->timer->cancel();
  }
}

Task<void> JobRuntime::Release(std::vector<std::shared_ptr<RunningJob>> jobs) {
  for (auto& running : jobs) {
    const ClaimedJob& job = running->job();
    running->Cancel("shutting down");
    running_.erase(job.id);
    auto released =
        co_await store_.Release(job.id, job.lease_token, clock_.WallMillis(), clock_.WallMillis());
    if (!released)
      log::Error("cannot release job lease; it will run again after the lease expires",
                 log::Fields().Add("job", job.id).Add("error", released.error().message));
  }
}

Task<void> JobRuntime::Heartbeats() {
  while (!stopped_loop_) {
    co_await Sleep(*heartbeat_timer_, options_.heartbeat);
    std::vector<std::shared_ptr<RunningJob>> running;
    for (const auto& [id, job] : running_) running.push_back(job);
    for (const auto& current : running) {
      const ClaimedJob& job = current->job();
      if (current->cancelled()) continue;
      auto now = clock_.WallMillis();
      if (clock_.Now() > current->deadline()) {
        const JobKind* kind = kinds_.Find(job.kind);
        current->Cancel("timed out");
        auto timeout = kind != nullptr ? kind->timeout : milliseconds(0);
        auto state = co_await store_.Fail(job.id, job.lease_token,
                                          fmt::format("timed out after {} ms", timeout.count()),
                                          RetryAt(job, now), now);
        if (state && *state) metrics_.Failed(job.queue, job.kind, 0, **state == "discarded");
        continue;
      }
      auto kept = co_await store_.Heartbeat(job.id, job.lease_token, now, options_.lease.count());
      if (kept && !*kept) current->Cancel("lease lost: the job was cancelled or taken over");
    }
  }
}

Task<void> JobRuntime::Reaper() {
  int round = 0;
  while (!stopping_) {
    auto now = clock_.WallMillis();
    auto rescued = co_await store_.RescueExpired(now);
    if (rescued) {
      for (const auto& job : *rescued) {
        metrics_.Rescued(job.queue, job.kind, job.state == "discarded");
        log::Warn("job lease expired; made available again",
                  log::Fields().Add("job", job.id).Add("kind", job.kind).Add("state", job.state));
        if (job.state == "available") Wake(job.queue);
      }
    }
    if (round++ % 2 == 0) {
      auto depths = co_await store_.Depths();
      if (depths) {
        for (const auto& [name, state] : queues_) {
          bool seen = std::any_of(depths->begin(), depths->end(),
                                  [&](const QueueDepth& d) { return d.queue == name; });
          if (seen) continue;
          QueueDepth empty;
          empty.queue = name;
          for (const char* s : {"available", "scheduled", "running", "retryable"}) empty.by_state[s] = 0;
          depths->push_back(std::move(empty));
        }
        metrics_.Depths(*depths, now);
      }
      for (const auto& counts : Workers()) metrics_.Workers(counts.queue, counts.busy, counts.total);
    }
    co_await Sleep(*reaper_timer_, options_.rescue_interval);
  }
}

Task<void> JobRuntime::Scheduler() {
  while (!stopping_) {
    auto now = clock_.WallMillis();
    auto held =
        co_await store_.AcquireLease(kSchedulerLease, options_.worker_id, now, kSchedulerLeaseTtl.count());
    bool holds = held && *held;
    if (holds != holds_scheduler_lease_)
      log::Info(holds ? "scheduler lease acquired" : "scheduler lease lost",
                log::Fields().Add("worker", options_.worker_id));
    holds_scheduler_lease_ = holds;
    if (holds)
      for (const auto& periodic : kinds_.periodic()) co_await FireDue(periodic, now);
    co_await Sleep(*scheduler_timer_, kSchedulerPeriod);
  }
  if (holds_scheduler_lease_) (void)co_await store_.DropLease(kSchedulerLease, options_.worker_id);
  holds_scheduler_lease_ = false;
}

// Policy: a schedule seen for the first time starts at its next tick (no run at start-up). Ticks missed while
// no scheduler ran coalesce into one run, for the latest of them. A tick whose previous run is still queued
// or running is skipped (the unique key returns the live run), so slow jobs never pile up.
Task<void> JobRuntime::FireDue(const PeriodicJob& periodic, std::int64_t now_ms) {
  auto last = co_await store_.LastTick(periodic.kind);
  if (!last) co_return;
  if (!*last) {
    (void)co_await store_.AdvanceSchedule(periodic.kind, std::nullopt, now_ms, std::nullopt, now_ms);
    co_return;
  }
  auto next = periodic.schedule.Next(system_clock::time_point(milliseconds(**last)));
  if (next > system_clock::time_point(milliseconds(now_ms))) co_return;
  std::int64_t tick = LatestTickAtOrBefore(periodic.schedule, now_ms);
  const JobKind* kind = kinds_.Find(periodic.kind);
  JobRequest run;
  run.kind = periodic.kind;
  run.args = periodic.args;
  if (run.args.is_object()) run.args["tick"] = tick;
  run.queue = kind->queue;
  run.max_attempts = kind->max_attempts;
  run.unique_key = "periodic:" + periodic.kind;
  auto fired = co_await store_.AdvanceSchedule(periodic.kind, **last, tick, std::move(run), now_ms);
  if (!fired) {
    log::Warn("periodic job not fired",
              log::Fields().Add("kind", periodic.kind).Add("error", fired.error().message));
  } else if (*fired) {
    metrics_.Enqueued(kind->queue, periodic.kind);
    Wake(kind->queue);
  }
}

void JobRuntime::RunAndWait(std::function<Task<void>()> body) {
  std::promise<void> done;
  auto finished = done.get_future();
  asio::co_spawn(
      io_,
      [&]() -> Task<void> {
        try {
          co_await body();
        } catch (const std::exception& e) {
          log::Error("job handler's awaited call threw", log::Fields().Add("error", e.what()));
        }
        done.set_value();
      },
      asio::detached);
  finished.wait();
}

bool JobRuntime::Stop(milliseconds drain_timeout) {
  if (!started_ || stopped_) return true;
  stopped_ = true;
  auto deadline = steady_clock::now() + drain_timeout;
  stopping_ = true;
  RunAndWait([this]() -> Task<void> {
    for (auto& [name, state] : queues_) state->timer->cancel();
    reaper_timer_->cancel();
    scheduler_timer_->cancel();
    co_return;
  });
  for (auto& [name, state] : queues_) {
    auto unstarted = state->workers->StopTaking();
    RunAndWait([&]() -> Task<void> { co_await Release(std::move(unstarted)); });
  }
  for (auto& [name, state] : queues_) (void)state->workers->WaitIdle(deadline);
  RunAndWait([this]() -> Task<void> {
    std::vector<std::shared_ptr<RunningJob>> left;
    for (const auto& [id, job] : running_) left.push_back(job);
    if (!left.empty())
      log::Warn("drain deadline passed; releasing running jobs",
                log::Fields().Add("jobs", static_cast<std::int64_t>(left.size())));
    co_await Release(std::move(left));
  });
  bool joined = true;
  for (auto& [name, state] : queues_)
    joined = state->workers->Join(steady_clock::now() + kShutdownGrace) && joined;
  if (!joined) {
    log::Error("a job handler ignored cancellation; its lease is released", log::Fields());
    return false;
  }
  RunAndWait([this]() -> Task<void> {
    stopped_loop_ = true;
    heartbeat_timer_->cancel();
    co_return;
  });
  // Every coroutine (completions, the scheduler dropping its lease) must be done before the loop stops: the
  // database answers into this io_context, which goes away with the runtime.
  auto writes_deadline = steady_clock::now() + kShutdownGrace;
  while (in_flight_ > 0 && steady_clock::now() < writes_deadline)
    std::this_thread::sleep_for(milliseconds(5));
  io_.stop();
  loop_.join();
  log::Info("job workers stopped", log::Fields().Add("worker", options_.worker_id));
  return true;
}

std::vector<WorkerCounts> JobRuntime::Workers() const {
  std::vector<WorkerCounts> counts;
  for (const auto& [name, state] : queues_) {
    auto now = state->workers->counts();
    counts.push_back(WorkerCounts{name, now.busy, now.total, state->workers->max_workers()});
  }
  return counts;
}

}  // namespace keel::jobs
