// One attempt in progress: the claimed job, its deadline, and the cancellation flag that the runtime sets
// when the lease is lost, the job is cancelled, it times out or the process shuts down.
//
// Thread safety: all methods are safe from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>

#include "jobs/job.hpp"

namespace keel::jobs {

class RunningJob {
 public:
  RunningJob(ClaimedJob job, std::chrono::steady_clock::time_point deadline)
      : job_(std::move(job)), deadline_(deadline) {}

  const ClaimedJob& job() const { return job_; }
  std::chrono::steady_clock::time_point deadline() const { return deadline_; }

  // The first reason wins; later calls change nothing. Wakes a handler sleeping in WaitCancelled.
  void Cancel(std::string reason) {
    {
      std::lock_guard lock(mutex_);
      if (cancelled_) return;
      reason_ = std::move(reason);
      cancelled_ = true;
    }
    wake_.notify_all();
  }
  bool cancelled() const {
    std::lock_guard lock(mutex_);
    return cancelled_;
  }
  std::string reason() const {
    std::lock_guard lock(mutex_);
    return reason_;
  }
  // Sleeps up to `duration`; true when cancelled (at once or during the wait).
  bool WaitCancelled(std::chrono::milliseconds duration) {
    std::unique_lock lock(mutex_);
    return wake_.wait_for(lock, duration, [this] { return cancelled_; });
  }

 private:
  const ClaimedJob job_;
  const std::chrono::steady_clock::time_point deadline_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool cancelled_ = false;  // GUARDED_BY(mutex_)
  std::string reason_;      // GUARDED_BY(mutex_)
};

}  // namespace keel::jobs
