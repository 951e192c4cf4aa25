// ShadowRunner: the bounded queue, and the thread that predicts, logs and observes the shadow versions.
#include "ml/shadow_runner.hpp"

#include <pthread.h>

#include "core/log.hpp"
#include "ml/prediction_log.hpp"

namespace keel::ml {
namespace {

// Rows predicted together at most: a long queue is worked through in bounded steps.
constexpr std::size_t kBatchRows = 1024;

}  // namespace

ShadowRunner::ShadowRunner(PredictionLog* log, std::size_t log_room, const Clock& clock,
                           std::size_t queue_rows, Metrics& metrics)
    : log_(log),
      log_room_(log_room),
      clock_(clock),
      queue_rows_(queue_rows),
      predicted_(prometheus::BuildCounter()
                     .Name("keel_model_shadow_rows_total")
                     .Help("Rows predicted by shadow versions (once per shadow version).")
                     .Register(metrics.registry())
                     .Add({})),
      dropped_(prometheus::BuildCounter()
                   .Name("keel_model_shadow_dropped_total")
                   .Help("Rows not given to the shadow versions because their queue was full "
                         "(ml.shadow_queue_rows).")
                   .Register(metrics.registry())
                   .Add({})),
      failed_(prometheus::BuildCounter()
                  .Name("keel_model_shadow_failures_total")
                  .Help("Shadow predictions that failed (the client's answer is never affected).")
                  .Register(metrics.registry())
                  .Add({})),
      unlogged_(
          prometheus::BuildCounter()
              .Name("keel_model_shadow_unlogged_total")
              .Help("Shadow rows predicted but not logged: the prediction log's queue was more than half "
                    "full, and served rows come first.")
              .Register(metrics.registry())
              .Add({})) {}

ShadowRunner::~ShadowRunner() { Stop(); }

void ShadowRunner::Start() {
  std::lock_guard lock(mutex_);
  stopping_ = false;
  if (!thread_.joinable()) thread_ = std::thread([this] { Run(); });
}

void ShadowRunner::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ShadowRunner::Submit(std::shared_ptr<const std::vector<ShadowVersion>> shadows,
                          std::vector<float> values, std::size_t rows) {
  std::int64_t now = clock_.WallMillis();
  {
    std::lock_guard lock(mutex_);
    if (!stopping_ && queued_rows_ + rows <= queue_rows_) {
      queued_rows_ += rows;
      queue_.push_back(Work{std::move(shadows), std::move(values), rows, now});
      if (queue_.size() == 1) wake_.notify_one();
      return;
    }
  }
  dropped_.Increment(static_cast<double>(rows));
}

void ShadowRunner::Run() {
  pthread_setname_np(pthread_self(), "keel-shadow");
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and everything queued was predicted
    std::vector<Work> batch;
    std::size_t rows = 0;
    while (!queue_.empty() && (batch.empty() || rows + queue_.front().rows <= kBatchRows)) {
      rows += queue_.front().rows;
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    queued_rows_ -= rows;
    lock.unlock();
    for (std::size_t begin = 0; begin < batch.size();) {
      std::size_t end = begin + 1;
      while (end < batch.size() && batch[end].shadows == batch[begin].shadows) ++end;
      Predict(batch, begin, end);
      begin = end;
    }
    batch.clear();  // the versions' references go before the lock is taken again
    lock.lock();
  }
}

void ShadowRunner::Predict(const std::vector<Work>& batch, std::size_t begin, std::size_t end) {
  std::vector<float> values;
  std::size_t rows = 0;
  for (std::size_t i = begin; i < end; ++i) {
    values.insert(values.end(), batch[i].values.begin(), batch[i].values.end());
    rows += batch[i].rows;
  }
  for (const ShadowVersion& shadow : *batch[begin].shadows) {
    auto started = std::chrono::steady_clock::now();
    auto predicted = shadow.model->model->Predict(values, rows);
    auto taken = std::chrono::steady_clock::now() - started;
    if (!predicted) {
      failed_.Increment();
      log::Warn("shadow prediction failed", log::Fields()
                                                .Add("model", shadow.model->meta.name)
                                                .Add("version", shadow.model->meta.version)
                                                .Add("error", predicted.error().message));
      continue;
    }
    predicted_.Increment(static_cast<double>(rows));
    std::shared_ptr<const ModelMeta> meta(shadow.model, &shadow.model->meta);
    const std::size_t width = meta->features.size();
    std::vector<PredictionRecord> records;
    records.reserve(rows);
    std::size_t row = 0;
    for (std::size_t i = begin; i < end; ++i) {
      // Each request is charged its share of the batch's time: what the version took for its rows.
      auto share = taken * static_cast<std::int64_t>(batch[i].rows) / static_cast<std::int64_t>(rows);
      std::span<const double> answers(predicted->data() + row, batch[i].rows);
      shadow.series.Observe(share, answers);
      for (std::size_t r = 0; r < batch[i].rows; ++r, ++row) {
        PredictionRecord record;
        record.at_ms = batch[i].at_ms;
        record.model = meta;
        record.features.assign(values.begin() + static_cast<std::ptrdiff_t>(row * width),
                               values.begin() + static_cast<std::ptrdiff_t>((row + 1) * width));
        record.prediction = (*predicted)[row];
        record.latency_us = std::chrono::duration_cast<std::chrono::microseconds>(share).count();
        record.shadow = true;
        records.push_back(std::move(record));
      }
    }
    if (log_ == nullptr) continue;
    if (log_->Queued() + records.size() > log_room_) {
      unlogged_.Increment(static_cast<double>(records.size()));
      continue;
    }
    log_->Record(std::move(records));
  }
}

}  // namespace keel::ml
