// The worker threads of one queue in one process. They grow on demand up to max_workers when claimed jobs
// wait, and a thread idle for idle_timeout exits while more than min_workers remain (seed 003's autoscaler,
// driven by the queue's depth as seen through claims).
//
// Thread safety: all methods are safe from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "jobs/running_job.hpp"

namespace keel::jobs {

class QueueWorkers {
 public:
  using Run = std::function<void(std::shared_ptr<RunningJob>)>;

  QueueWorkers(std::string name, int min_workers, int max_workers, std::chrono::milliseconds idle_timeout,
               Run run);
  ~QueueWorkers();  // REQUIRES: Join returned true, or nothing was ever pushed
  QueueWorkers(const QueueWorkers&) = delete;
  QueueWorkers& operator=(const QueueWorkers&) = delete;

  const std::string& name() const { return name_; }
  int max_workers() const { return max_workers_; }
  // How many more jobs this process may take for the queue: max_workers minus waiting and running ones.
  int FreeSlots() const;
  // Queues jobs for the threads; after StopTaking, hands them all back (to be released).
  std::vector<std::shared_ptr<RunningJob>> Push(std::vector<std::shared_ptr<RunningJob>> jobs);
  // Takes no more jobs; returns the ones claimed but not started, for release.
  std::vector<std::shared_ptr<RunningJob>> StopTaking();
  // Waits until no handler runs; false at the deadline.
  bool WaitIdle(std::chrono::steady_clock::time_point deadline);
  // Waits for every thread to exit and joins them; false at the deadline (a handler ignores cancellation).
  bool Join(std::chrono::steady_clock::time_point deadline);

  struct Counts {
    int busy = 0;
    int total = 0;
  };
  Counts counts() const;

 private:
  struct Worker {
    std::thread thread;
    bool exited = false;  // GUARDED_BY(mutex_)
  };

  void Work(Worker* self);
  void SpawnIfNeeded();  // REQUIRES: mutex_ held
  void ReapExited();     // joins threads that exited on their own

  const std::string name_;
  const int min_workers_;
  const int max_workers_;
  const std::chrono::milliseconds idle_timeout_;
  const Run run_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;                     // jobs to run, or stopping
  std::condition_variable changed_;                  // a handler finished or a thread exited
  std::deque<std::shared_ptr<RunningJob>> waiting_;  // GUARDED_BY(mutex_)
  std::list<Worker> workers_;                        // GUARDED_BY(mutex_)
  int alive_ = 0;                                    // GUARDED_BY(mutex_)
  int idle_ = 0;                                     // GUARDED_BY(mutex_)
  int busy_ = 0;                                     // GUARDED_BY(mutex_)
  bool stopping_ = false;                            // GUARDED_BY(mutex_)
};

}  // namespace keel::jobs
