// PredictionLog: the bounded queue, the writer thread and the batch INSERT.
#include "ml/prediction_log.hpp"

#include <pthread.h>

#include <utility>  // before Boost

#include <fmt/format.h>
#include <charconv>

#include <boost/asio/co_spawn.hpp>

#include "core/json_text.hpp"
#include "core/log.hpp"
#include "ml/prediction_rollups.hpp"

namespace keel::ml {
namespace {

// {"feature": value, ...} in the model's feature order, values as the model saw them (float32, shortest).
std::string FeaturesJson(const ModelMeta& model, const std::vector<float>& features) {
  std::string json = "{";
  json.reserve(features.size() * 28);
  char number[32];
  for (std::size_t i = 0; i < features.size() && i < model.features.size(); ++i) {
    if (i > 0) json += ',';
    AppendJsonString(json, model.features[i].name);
    json += ':';
    auto [end, ec] = std::to_chars(number, number + sizeof(number), features[i]);
    json.append(number, end);
  }
  json += '}';
  return json;
}

}  // namespace

PredictionLog::PredictionLog(sql::Database& db, PredictionLogOptions options, Metrics& metrics)
    : db_(db),
      options_(options),
      written_(prometheus::BuildCounter()
                   .Name("keel_prediction_log_written_total")
                   .Help("Predictions written to the prediction log.")
                   .Register(metrics.registry())
                   .Add({})),
      dropped_(prometheus::BuildCounter()
                   .Name("keel_prediction_log_dropped_total")
                   .Help("Predictions not logged because the log's queue was full.")
                   .Register(metrics.registry())
                   .Add({})),
      write_failures_(prometheus::BuildCounter()
                          .Name("keel_prediction_log_write_failures_total")
                          .Help("Failed batch writes of the prediction log (their rows stay queued).")
                          .Register(metrics.registry())
                          .Add({})),
      queued_gauge_(prometheus::BuildGauge()
                        .Name("keel_prediction_log_queued")
                        .Help("Predictions waiting to be written to the prediction log.")
                        .Register(metrics.registry())
                        .Add({})) {}

PredictionLog::~PredictionLog() { Stop(); }

void PredictionLog::Start() {
  thread_ = std::thread([this] { Run(); });
}

void PredictionLog::Stop(std::chrono::milliseconds deadline) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
    stop_deadline_ = std::chrono::steady_clock::now() + deadline;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void PredictionLog::Record(std::vector<PredictionRecord> records) {
  std::unique_lock lock(mutex_);
  std::size_t room = options_.queue_limit - std::min(options_.queue_limit, queue_.size());
  std::size_t dropped = records.size() > room ? records.size() - room : 0;
  for (std::size_t i = 0; i < records.size() - dropped; ++i) queue_.push_back(std::move(records[i]));
  bool wake = queue_.size() >= options_.batch_rows;
  std::size_t queued = queue_.size();
  bool log_drop = false;
  if (dropped > 0) {
    dropped_since_log_ += dropped;
    auto now = std::chrono::steady_clock::now();
    // One line per ten seconds at most: a full queue must not also flood the log.
    if (now - last_drop_log_ >= std::chrono::seconds(10)) {
      log_drop = true;
      last_drop_log_ = now;
    }
  }
  std::uint64_t dropped_to_log = log_drop ? std::exchange(dropped_since_log_, 0) : 0;
  lock.unlock();
  queued_gauge_.Set(static_cast<double>(queued));
  if (dropped > 0) dropped_.Increment(static_cast<double>(dropped));
  if (log_drop)
    log::Warn(
        "prediction log queue full: predictions not logged",
        log::Fields().Add("dropped", dropped_to_log).Add("queue_limit", std::uint64_t{options_.queue_limit}));
  if (wake) wake_.notify_one();
}

std::size_t PredictionLog::Queued() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

void PredictionLog::Run() {
  pthread_setname_np(pthread_self(), "keel-predlog");
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait_for(lock, options_.flush_interval,
                   [this] { return stopping_ || queue_.size() >= options_.batch_rows; });
    if (queue_.empty()) {
      if (stopping_) return;
      continue;
    }
    std::size_t rows = std::min(queue_.size(), options_.batch_rows);
    std::vector<PredictionRecord> batch(
        std::make_move_iterator(queue_.begin()),
        std::make_move_iterator(queue_.begin() + static_cast<std::ptrdiff_t>(rows)));
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(rows));
    lock.unlock();
    auto written = Write(batch);
    lock.lock();
    if (written) {
      written_.Increment(static_cast<double>(rows));
    } else {
      write_failures_.Increment();
      log::Error("prediction log write failed; its rows stay queued",
                 log::Fields().Add("rows", std::uint64_t{rows}).Add("error", written.error().message));
      if (stopping_ && std::chrono::steady_clock::now() >= stop_deadline_) {
        log::Error("prediction log abandoned at shutdown",
                   log::Fields().Add("rows", std::uint64_t{rows + queue_.size()}));
        return;
      }
      // Back to the front, in order; then wait a flush interval before retrying.
      queue_.insert(queue_.begin(), std::make_move_iterator(batch.begin()),
                    std::make_move_iterator(batch.end()));
      wake_.wait_for(lock, options_.flush_interval);
    }
    queued_gauge_.Set(static_cast<double>(queue_.size()));
  }
}

Result<void> PredictionLog::Write(const std::vector<PredictionRecord>& batch) {
  std::string sql =
      "INSERT INTO prediction_logs (created_at, model, version, features, prediction, latency_us, cached, "
      "shadow) VALUES ";
  sql::Params params;
  params.reserve(batch.size() * 8);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const PredictionRecord& r = batch[i];
    sql += i == 0 ? "(?,?,?,?,?,?,?,?)" : ",(?,?,?,?,?,?,?,?)";
    params.emplace_back(r.at_ms);
    params.emplace_back(r.model->name);
    params.emplace_back(r.model->version);
    params.emplace_back(FeaturesJson(*r.model, r.features));
    params.emplace_back(r.prediction);
    params.emplace_back(r.latency_us);
    params.emplace_back(std::int64_t{r.cached ? 1 : 0});
    params.emplace_back(std::int64_t{r.shadow ? 1 : 0});
  }
  // The rows and their minutes' and hours' rollups, in one transaction: the rollups count exactly the rows.
  auto totals = RollUp(batch);
  auto body = [&](sql::Session& session) -> Task<Result<void>> {
    auto inserted = co_await session.Execute(std::move(sql), std::move(params));
    if (!inserted) co_return std::move(inserted).error();
    co_return co_await AddToRollups(session, totals);
  };
  // The database API is asynchronous; this thread runs the transaction on its own event loop. The loop
  // outlives every write: the database's thread may still be inside its post() when run() returns.
  io_.restart();
  std::optional<Result<void>> out;
  boost::asio::co_spawn(
      io_, [&]() -> Task<void> { out.emplace(co_await db_.Transaction(body)); }, [](std::exception_ptr) {});
  io_.run();
  if (!out) return Error{ErrorCode::kInternal, "the prediction log write did not finish"};
  return std::move(*out);
}

}  // namespace keel::ml
