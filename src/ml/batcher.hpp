// Dynamic batching: concurrent prediction requests for one model are grouped into one predict call of up to
// max_batch rows, waiting at most max_delay after the first of them arrived. A request larger than max_batch
// is a batch of its own.
//
// Thread safety: Submit from any thread; completions run on the batcher's own thread, so they must be quick
// (post elsewhere, never block). Stop is idempotent; the destructor stops.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/result.hpp"
#include "ml/predictor.hpp"

namespace keel::ml {

struct BatcherOptions {
  std::size_t max_batch = 64;                // rows per predict call; 1 turns batching off
  std::chrono::microseconds max_delay{500};  // longest wait for a batch to fill
};

class DynamicBatcher {
 public:
  using Done = std::function<void(Result<std::vector<double>>)>;
  // Told the row count of every predict call (for the batch-size histogram).
  using BatchObserver = std::function<void(std::size_t rows)>;

  explicit DynamicBatcher(BatcherOptions options, BatchObserver observe = {});
  ~DynamicBatcher();
  DynamicBatcher(const DynamicBatcher&) = delete;
  DynamicBatcher& operator=(const DynamicBatcher&) = delete;

  // Queues `rows` rows (row-major `values`) for `predictor`; `done` is called exactly once with this
  // request's predictions, or with the error of the predict call its batch was part of. After Stop, `done`
  // is called at once with kUnavailable.
  // REQUIRES: values.size() == rows * predictor->num_features(), rows > 0.
  void Submit(std::shared_ptr<const Predictor> predictor, std::vector<float> values, std::size_t rows,
              Done done);

  // Predicts what is queued, then joins the thread.
  void Stop();

  const BatcherOptions& options() const { return options_; }

 private:
  struct Request {
    std::shared_ptr<const Predictor> predictor;
    std::vector<float> values;
    std::size_t rows = 0;
    Done done;
    std::chrono::steady_clock::time_point arrived;
  };

  void Run();
  // Takes the next batch off the queue. REQUIRES: mutex_ held, pending_ not empty.
  std::vector<Request> TakeBatch();
  // One predict call per run of requests for the same predictor (a version swap can split a batch).
  void Predict(std::vector<Request>& batch);

  const BatcherOptions options_;
  const BatchObserver observe_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Request> pending_;   // GUARDED_BY(mutex_)
  std::size_t pending_rows_ = 0;  // GUARDED_BY(mutex_)
  bool stopping_ = false;         // GUARDED_BY(mutex_)
  std::thread thread_;
};

}  // namespace keel::ml
