// The shadow versions' predictions, off the request path: a request whose model has shadow versions in its
// traffic plan hands its rows here after it was answered, and one background thread predicts them with each
// shadow version (the rows of consecutive requests together, as one batch per version), then logs them with
// shadow = 1 and observes the version's metrics. A shadow never delays, changes or fails a client's answer.
// The queue is bounded: rows that do not fit are dropped and counted, never blocking a request. Shadow rows
// fill at most part of the prediction log's queue, so that served rows are not dropped to make room for them.
//
// Thread safety: Submit from any thread; Start and Stop from one.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <prometheus/counter.h>

#include "core/clock.hpp"
#include "core/metrics.hpp"
#include "ml/model_registry.hpp"
#include "ml/version_metrics.hpp"

namespace keel::ml {

class PredictionLog;

// One shadow version: its model and its series.
struct ShadowVersion {
  std::shared_ptr<const LoadedModel> model;
  VersionSeries series;
};

class ShadowRunner {
 public:
  // `log` may be null (ml.log_enabled false): the shadows then only feed their metrics. Shadow rows are
  // logged only while the log's queue holds fewer than `log_room` rows.
  ShadowRunner(PredictionLog* log, std::size_t log_room, const Clock& clock, std::size_t queue_rows,
               Metrics& metrics);
  ~ShadowRunner();

  void Start();
  // Predicts what is queued, then joins the thread. Idempotent.
  void Stop();

  // Queues one request's rows for every version of `shadows` (all taking the same features as `values`).
  // REQUIRES: values.size() == rows * width of every shadow.
  void Submit(std::shared_ptr<const std::vector<ShadowVersion>> shadows, std::vector<float> values,
              std::size_t rows);

 private:
  struct Work {
    std::shared_ptr<const std::vector<ShadowVersion>> shadows;
    std::vector<float> values;
    std::size_t rows = 0;
    std::int64_t at_ms = 0;
  };
  void Run();
  // Predicts requests [begin, end) of `batch`, which share their shadows, with each shadow version.
  void Predict(const std::vector<Work>& batch, std::size_t begin, std::size_t end);

  PredictionLog* log_;
  const std::size_t log_room_;
  const Clock& clock_;
  const std::size_t queue_rows_;
  prometheus::Counter& predicted_;
  prometheus::Counter& dropped_;
  prometheus::Counter& failed_;
  prometheus::Counter& unlogged_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Work> queue_;       // GUARDED_BY(mutex_)
  std::size_t queued_rows_ = 0;  // GUARDED_BY(mutex_)
  bool stopping_ = false;        // GUARDED_BY(mutex_)
  std::thread thread_;
};

}  // namespace keel::ml
