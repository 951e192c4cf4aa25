// DynamicBatcher: the collecting thread and the split of one predict call's output among its requests.
#include "ml/batcher.hpp"

#include <pthread.h>

#include <algorithm>
#include <functional>

namespace keel::ml {

DynamicBatcher::DynamicBatcher(BatcherOptions options, BatchObserver observe)
    : options_(options), observe_(std::move(observe)) {
  thread_ = std::thread([this] { Run(); });
}

DynamicBatcher::~DynamicBatcher() { Stop(); }

void DynamicBatcher::Submit(std::shared_ptr<const Predictor> predictor, std::vector<float> values,
                            std::size_t rows, Done done) {
  std::unique_lock lock(mutex_);
  if (stopping_) {
    lock.unlock();
    done(Error{ErrorCode::kUnavailable, "the model server is shutting down"});
    return;
  }
  bool was_empty = pending_.empty();
  pending_.push_back(Request{std::move(predictor), std::move(values), rows, std::move(done),
                             std::chrono::steady_clock::now()});
  pending_rows_ += rows;
  // The thread waits either for a first request or for a full batch; other arrivals need no wake-up.
  bool wake = was_empty || pending_rows_ >= options_.max_batch;
  lock.unlock();
  if (wake) wake_.notify_one();
}

void DynamicBatcher::Stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void DynamicBatcher::Run() {
  pthread_setname_np(pthread_self(), "keel-batcher");
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || !pending_.empty(); });
    if (pending_.empty()) return;
    auto deadline = pending_.front().arrived + options_.max_delay;
    wake_.wait_until(lock, deadline, [this] { return stopping_ || pending_rows_ >= options_.max_batch; });
    std::vector<Request> batch = TakeBatch();
    lock.unlock();
    Predict(batch);
    batch.clear();  // completions and predictor references go before the lock is taken again
    lock.lock();
  }
}

std::vector<DynamicBatcher::Request> DynamicBatcher::TakeBatch() {
  std::vector<Request> batch;
  std::size_t rows = 0;
  while (!pending_.empty() && (batch.empty() || rows + pending_.front().rows <= options_.max_batch)) {
    rows += pending_.front().rows;
    batch.push_back(std::move(pending_.front()));
    pending_.pop_front();
  }
  pending_rows_ -= rows;
  return batch;
}

void DynamicBatcher::Predict(std::vector<Request>& batch) {
  // A traffic plan's versions arrive interleaved: grouped by version (in arrival order within each), they
  // predict in one call each instead of one per run of consecutive requests.
  const Predictor* first = batch.front().predictor.get();
  if (std::any_of(batch.begin(), batch.end(),
                  [first](const Request& r) { return r.predictor.get() != first; }))
    std::stable_sort(batch.begin(), batch.end(), [](const Request& x, const Request& y) {
      return std::less<const Predictor*>()(x.predictor.get(), y.predictor.get());
    });
  std::vector<float> values;
  for (std::size_t begin = 0; begin < batch.size();) {
    const Predictor* predictor = batch[begin].predictor.get();
    std::size_t end = begin;
    std::size_t rows = 0;
    values.clear();
    for (; end < batch.size() && batch[end].predictor.get() == predictor; ++end) {
      rows += batch[end].rows;
      values.insert(values.end(), batch[end].values.begin(), batch[end].values.end());
    }
    if (observe_) observe_(rows);
    auto predicted = predictor->Predict(values, rows);
    std::size_t offset = 0;
    for (std::size_t i = begin; i < end; ++i) {
      if (!predicted) {
        batch[i].done(predicted.error());
        continue;
      }
      auto first = predicted->begin() + static_cast<std::ptrdiff_t>(offset);
      batch[i].done(std::vector<double>(first, first + static_cast<std::ptrdiff_t>(batch[i].rows)));
      offset += batch[i].rows;
    }
    begin = end;
  }
}

}  // namespace keel::ml
