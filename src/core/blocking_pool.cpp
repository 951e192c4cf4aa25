// BlockingPool: a mutex-guarded deque drained by a fixed set of threads.
#include "core/blocking_pool.hpp"

#include <pthread.h>

namespace keel {

BlockingPool::BlockingPool(std::string name, std::size_t threads, std::size_t queue_limit, Metrics& metrics)
    : name_(std::move(name)),
      queue_limit_(queue_limit),
      depth_gauge_(prometheus::BuildGauge()
                       .Name("keel_pool_queue_depth")
                       .Help("Tasks waiting in a blocking-work pool.")
                       .Register(metrics.registry())
                       .Add({{"pool", name_}})),
      busy_gauge_(prometheus::BuildGauge()
                      .Name("keel_pool_busy_threads")
                      .Help("Threads of a blocking-work pool running a task.")
                      .Register(metrics.registry())
                      .Add({{"pool", name_}})),
      rejections_(prometheus::BuildCounter()
                      .Name("keel_pool_rejections_total")
                      .Help("Tasks refused because a blocking-work pool's queue was full.")
                      .Register(metrics.registry())
                      .Add({{"pool", name_}})) {
  threads_.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i) {
    threads_.emplace_back([this] { RunWorker(); });
    pthread_setname_np(threads_.back().native_handle(), ("keel-" + name_).substr(0, 15).c_str());
  }
}

BlockingPool::~BlockingPool() { Stop(); }

bool BlockingPool::TrySubmit(std::function<void()> work) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || queue_.size() >= queue_limit_) {
      rejections_.Increment();
      return false;
    }
    queue_.push_back(std::move(work));
    depth_gauge_.Set(static_cast<double>(queue_.size()));
  }
  wake_.notify_one();
  return true;
}

void BlockingPool::Stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& thread : threads_)
    if (thread.joinable()) thread.join();
  threads_.clear();
}

std::size_t BlockingPool::QueueDepth() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

void BlockingPool::RunWorker() {
  for (;;) {
    std::function<void()> work;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      work = std::move(queue_.front());
      queue_.pop_front();
      depth_gauge_.Set(static_cast<double>(queue_.size()));
    }
    busy_gauge_.Increment();
    work();
    busy_gauge_.Decrement();
  }
}

}  // namespace keel
