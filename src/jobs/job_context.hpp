// What a job handler sees: its job and arguments, cancellation, progress reporting, and a way to await the
// platform's asynchronous calls (database, KV) from its worker thread.
//
// Thread safety: used by the one worker thread running the handler.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "core/async.hpp"
#include "jobs/running_job.hpp"

namespace keel::jobs {

class JobContext {
 public:
  // Runs a coroutine on the runtime's event loop and blocks until it is done.
  using RunAndWait = std::function<void(std::function<Task<void>()>)>;
  using ReportProgress = std::function<void(int percent, std::string message)>;

  JobContext(RunningJob& running, nlohmann::json args, RunAndWait run_and_wait, ReportProgress progress)
      : running_(running),
        args_(std::move(args)),
        run_and_wait_(std::move(run_and_wait)),
        progress_(std::move(progress)) {}

  const ClaimedJob& job() const { return running_.job(); }
  const nlohmann::json& args() const { return args_; }
  std::int64_t attempt() const { return running_.job().attempt; }

  // True once the attempt should stop: its lease was lost, it was cancelled or timed out, or the process is
  // shutting down. Whatever the handler returns after that is not recorded.
  bool Cancelled() const { return running_.cancelled(); }
  std::string CancelReason() const { return running_.reason(); }
  // Sleeps, returning false early when cancelled.
  bool Sleep(std::chrono::milliseconds duration) { return !running_.WaitCancelled(duration); }

  // Records progress (0-100) and a message; readable over HTTP. Does not wait for the write.
  void Progress(int percent, std::string message) { progress_(percent, std::move(message)); }

  // Gives the job back to its queue to run again after `delay`, without spending this attempt: for waiting
  // that is no failure (a provider's circuit breaker is open, its cap on requests is full), so the wait is
  // in the queue and not in a worker. Return after calling it; the handler's result is then ignored.
  void Defer(std::chrono::milliseconds delay) { deferred_ = delay; }
  std::optional<std::chrono::milliseconds> deferred() const { return deferred_; }

  // Awaits `task` on the runtime's event loop.
  template <class T>
  T Await(Task<T> task) {
    std::optional<T> out;
    run_and_wait_([&]() -> Task<void> { out.emplace(co_await std::move(task)); });
    return std::move(*out);
  }

 private:
  RunningJob& running_;
  nlohmann::json args_;
  RunAndWait run_and_wait_;
  ReportProgress progress_;
  std::optional<std::chrono::milliseconds> deferred_;
};

}  // namespace keel::jobs
