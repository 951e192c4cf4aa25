// RollupFlusher: the flush loop and the upserts (the same SQL on SQLite and PostgreSQL).
#include "apps/validation/rollup_flusher.hpp"

#include <pthread.h>

#include "apps/validation/chunked_values.hpp"
#include "core/log.hpp"
#include "core/run_to_completion.hpp"

namespace keel::validation {

std::vector<sql::Statement> RollupUpserts(const Rollups& rollups) {
  std::vector<const std::pair<const RollupKey, EventCount>*> events;
  for (const auto& entry : rollups.events) events.push_back(&entry);
  std::vector<sql::Statement> statements = ChunkedValues(
      "INSERT INTO validation_rollups (app_id, minute_ms, event_name, events, invalid, blocked) VALUES",
      "ON CONFLICT (app_id, minute_ms, event_name) DO UPDATE SET events = validation_rollups.events + "
      "excluded.events, invalid = validation_rollups.invalid + excluded.invalid, blocked = "
      "validation_rollups.blocked + excluded.blocked",
      6, events.size(), [&](sql::Params& params, std::size_t i) {
        const auto& [key, count] = *events[i];
        params.emplace_back(std::get<0>(key));
        params.emplace_back(std::get<1>(key));
        params.emplace_back(std::get<2>(key));
        params.emplace_back(count.events);
        params.emplace_back(count.invalid);
        params.emplace_back(count.blocked);
      });
  std::vector<const std::pair<const ViolationKey, std::int64_t>*> violations;
  for (const auto& entry : rollups.violations) violations.push_back(&entry);
  auto violation_statements = ChunkedValues(
      "INSERT INTO validation_violation_rollups (app_id, minute_ms, event_name, path, rule, count) VALUES",
      "ON CONFLICT (app_id, minute_ms, event_name, path, rule) DO UPDATE SET count = "
      "validation_violation_rollups.count + excluded.count",
      6, violations.size(), [&](sql::Params& params, std::size_t i) {
        const auto& [key, count] = *violations[i];
        params.emplace_back(std::get<0>(key));
        params.emplace_back(std::get<1>(key));
        params.emplace_back(std::get<2>(key));
        params.emplace_back(std::get<3>(key));
        params.emplace_back(std::get<4>(key));
        params.emplace_back(count);
      });
  for (auto& statement : violation_statements) statements.push_back(std::move(statement));
  return statements;
}

RollupFlusher::RollupFlusher(sql::Database& db, RollupCounters& counters, Metrics& metrics,
                             std::chrono::milliseconds interval)
    : db_(db),
      counters_(counters),
      interval_(interval),
      flushes_(prometheus::BuildCounter()
                   .Name("keel_validation_rollup_flushes_total")
                   .Help("Writes of this instance's per-minute event counts into the shared rollups.")
                   .Register(metrics.registry())
                   .Add({})),
      failures_(prometheus::BuildCounter()
                    .Name("keel_validation_rollup_flush_failures_total")
                    .Help("Rollup writes that failed; their counts went with the next one.")
                    .Register(metrics.registry())
                    .Add({})) {}

RollupFlusher::~RollupFlusher() { Stop(); }

void RollupFlusher::Start() {
  thread_ = std::thread([this] { Run(); });
}

void RollupFlusher::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Result<void> RollupFlusher::FlushNow() {
  Rollups rollups = counters_.Drain();
  if (rollups.empty()) return Ok();
  auto written = RunToCompletion(io_, db_.WriteAll(RollupUpserts(rollups)));
  if (written) {
    flushes_.Increment();
    return Ok();
  }
  failures_.Increment();
  counters_.Restore(rollups);
  return written;
}

void RollupFlusher::Run() {
  pthread_setname_np(pthread_self(), "keel-rollups");
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, interval_, [this] { return stopping_; });
    lock.unlock();
    if (auto flushed = FlushNow(); !flushed)
      log::Warn("validation rollups not written; retrying with the next flush",
                log::Fields().Add("error", flushed.error().message));
    lock.lock();
  }
}

}  // namespace keel::validation
