// QueueWorkers: the waiting deque, on-demand threads and idle shrinking.
#include "jobs/queue_workers.hpp"

#include <pthread.h>

namespace keel::jobs {

QueueWorkers::QueueWorkers(std::string name, int min_workers, int max_workers,
                           std::chrono::milliseconds idle_timeout, Run run)
    : name_(std::move(name)),
      min_workers_(std::max(0, min_workers)),
      max_workers_(std::max(1, max_workers)),
      idle_timeout_(idle_timeout),
      run_(std::move(run)) {}

QueueWorkers::~QueueWorkers() {
  (void)StopTaking();
  (void)Join(std::chrono::steady_clock::time_point::max());
}

int QueueWorkers::FreeSlots() const {
  std::lock_guard lock(mutex_);
  if (stopping_) return 0;
  return max_workers_ - static_cast<int>(waiting_.size()) - busy_;
}

std::vector<std::shared_ptr<RunningJob>> QueueWorkers::Push(std::vector<std::shared_ptr<RunningJob>> jobs) {
  ReapExited();
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return jobs;
    for (auto& job : jobs) waiting_.push_back(std::move(job));
    SpawnIfNeeded();
  }
  wake_.notify_all();
  return {};
}

void QueueWorkers::SpawnIfNeeded() {
  int wanted = std::min(max_workers_, busy_ + static_cast<int>(waiting_.size()));
  wanted = std::max(wanted, min_workers_);
  while (alive_ < wanted && !stopping_) {
    Worker& worker = workers_.emplace_back();
    ++alive_;
    worker.thread = std::thread([this, &worker] { Work(&worker); });
    std::string thread_name = ("keel-job-" + name_).substr(0, 15);
    pthread_setname_np(worker.thread.native_handle(), thread_name.c_str());
  }
}

void QueueWorkers::Work(Worker* self) {
  std::unique_lock lock(mutex_);
  for (;;) {
    ++idle_;
    bool got = wake_.wait_for(lock, idle_timeout_, [this] { return stopping_ || !waiting_.empty(); });
    --idle_;
    if (waiting_.empty()) {
      if (stopping_ || (!got && alive_ > min_workers_)) break;
      continue;
    }
    auto job = std::move(waiting_.front());
    waiting_.pop_front();
    ++busy_;
    lock.unlock();
    run_(std::move(job));
    lock.lock();
    --busy_;
    changed_.notify_all();
  }
  --alive_;
  self->exited = true;
  changed_.notify_all();
}

void QueueWorkers::ReapExited() {
  std::list<Worker> exited;
  {
    std::lock_guard lock(mutex_);
    for (auto it = workers_.begin(); it != workers_.end();) {
      auto next = std::next(it);
      if (it->exited) exited.splice(exited.end(), workers_, it);
      it = next;
    }
  }
  for (auto& worker : exited) worker.thread.join();
}

std::vector<std::shared_ptr<RunningJob>> QueueWorkers::StopTaking() {
  std::vector<std::shared_ptr<RunningJob>> unstarted;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    unstarted.assign(waiting_.begin(), waiting_.end());
    waiting_.clear();
  }
  wake_.notify_all();
  return unstarted;
}

bool QueueWorkers::WaitIdle(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  return changed_.wait_until(lock, deadline, [this] { return busy_ == 0 && waiting_.empty(); });
}

bool QueueWorkers::Join(std::chrono::steady_clock::time_point deadline) {
  {
    std::unique_lock lock(mutex_);
    if (!changed_.wait_until(lock, deadline, [this] { return alive_ == 0; })) return false;
  }
  ReapExited();
  return true;
}

QueueWorkers::Counts QueueWorkers::counts() const {
  std::lock_guard lock(mutex_);
  return Counts{busy_, alive_};
}

}  // namespace keel::jobs
