// A named, bounded pool of threads for blocking work (SQLite, hashing, model batches), never the IO threads.
//
// Thread safety: all methods may be called from any thread. The queue is bounded: TrySubmit refuses work
// beyond queue_limit instead of letting latency grow without bound; callers turn that into 503 + Retry-After.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/metrics.hpp"

namespace keel {

class BlockingPool {
 public:
  BlockingPool(std::string name, std::size_t threads, std::size_t queue_limit, Metrics& metrics);
  ~BlockingPool();
  BlockingPool(const BlockingPool&) = delete;
  BlockingPool& operator=(const BlockingPool&) = delete;

  // Queues work; false when the queue is full or the pool is stopping. Work must not throw.
  bool TrySubmit(std::function<void()> work);

  // Runs what is queued, then joins the threads. Idempotent.
  void Stop();

  std::size_t QueueDepth() const;
  const std::string& name() const { return name_; }

 private:
  void RunWorker();

  const std::string name_;
  const std::size_t queue_limit_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> queue_;  // GUARDED_BY(mutex_)
  bool stopping_ = false;                    // GUARDED_BY(mutex_)
  std::vector<std::thread> threads_;
  prometheus::Gauge& depth_gauge_;
  prometheus::Gauge& busy_gauge_;
  prometheus::Counter& rejections_;
};

}  // namespace keel
