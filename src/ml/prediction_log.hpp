// The prediction log: every served prediction (time, model version, features, prediction, latency, whether it
// came from the cache, whether a shadow version gave it) is queued here and written by one background thread
// in batches — one transaction per batch, every flush_interval or batch_rows rows, whichever comes first, and
// whatever is queued on Stop. The transaction inserts the rows and adds them to their minutes', hours' and
// days' rollups (ml/prediction_rollups.hpp), which the windowed stats read. The queue is bounded: a record
// that does not fit is dropped, counted and logged, never silently lost; a failed write keeps its rows queued
// and is retried.
//
// Thread safety: Record from any thread; Start and Stop from one thread. Destroy it after the database: the
// database's threads answer into the log's event loop and may still be leaving a post() after a write.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <utility>  // before Boost

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <boost/asio/io_context.hpp>

#include "core/metrics.hpp"
#include "ml/model_meta.hpp"
#include "storage/sql/database.hpp"

namespace keel::ml {

struct PredictionRecord {
  std::int64_t at_ms = 0;  // Unix ms
  std::shared_ptr<const ModelMeta> model;
  std::vector<float> features;  // in the model's feature order
  double prediction = 0;
  std::int64_t latency_us = 0;
  bool cached = false;
  bool shadow = false;  // a shadow version's answer, never returned to the client (ml/shadow_runner.hpp)
};

struct PredictionLogOptions {
  std::size_t queue_limit = 100'000;              // records waiting to be written
  std::size_t batch_rows = 1'000;                 // rows per transaction
  std::chrono::milliseconds flush_interval{100};  // longest a record waits
};

class PredictionLog {
 public:
  PredictionLog(sql::Database& db, PredictionLogOptions options, Metrics& metrics);
  ~PredictionLog();

  void Start();
  // Writes everything queued (retrying a failed write until `deadline` passes), then joins the thread.
  void Stop(std::chrono::milliseconds deadline = std::chrono::seconds(10));

  // Queues records without blocking; those beyond the queue limit are dropped and counted.
  void Record(std::vector<PredictionRecord> records);

  std::size_t Queued() const;

 private:
  void Run();
  Result<void> Write(const std::vector<PredictionRecord>& batch);

  sql::Database& db_;
  const PredictionLogOptions options_;
  prometheus::Counter& written_;
  prometheus::Counter& dropped_;
  prometheus::Counter& write_failures_;
  prometheus::Gauge& queued_gauge_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<PredictionRecord> queue_;                   // GUARDED_BY(mutex_)
  bool stopping_ = false;                                // GUARDED_BY(mutex_)
  std::chrono::steady_clock::time_point stop_deadline_;  // GUARDED_BY(mutex_)
  std::uint64_t dropped_since_log_ = 0;                  // GUARDED_BY(mutex_)
  std::chrono::steady_clock::time_point last_drop_log_;  // GUARDED_BY(mutex_)
  boost::asio::io_context io_;  // the writer thread's event loop for the database calls
  std::thread thread_;
};

}  // namespace keel::ml
