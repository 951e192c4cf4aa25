// Writes this instance's rollup counts once a second: one transaction of upserts that add them to the rows
// every instance shares (validation_rollups, validation_violation_rollups), so the dashboard reads the sum of
// all instances without scanning raw logs. A failed write puts the counts back, to go with the next one; Stop
// flushes what is left.
//
// What a crash costs: the counts of the last second on the instance that died (the events themselves are in
// log_entries, committed before they were acknowledged).
//
// Thread safety: Start and Stop from one thread; FlushNow blocks, so never on an IO thread. The database's
// threads answer into this object's event loop, so destroy it after the database when possible, and otherwise
// (inside the App, where modules go first) only well after its last flush, as PredictionLog.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <utility>  // before Boost

#include <prometheus/counter.h>
#include <boost/asio/io_context.hpp>

#include "apps/validation/rollup_counters.hpp"
#include "core/metrics.hpp"
#include "storage/sql/database.hpp"

namespace keel::validation {

class RollupFlusher {
 public:
  RollupFlusher(sql::Database& db, RollupCounters& counters, Metrics& metrics,
                std::chrono::milliseconds interval = std::chrono::seconds(1));
  ~RollupFlusher();

  void Start();
  void Stop();

  // Drains the counters and writes them now; on failure they are back in the counters.
  Result<void> FlushNow();

 private:
  void Run();

  sql::Database& db_;
  RollupCounters& counters_;
  const std::chrono::milliseconds interval_;
  prometheus::Counter& flushes_;
  prometheus::Counter& failures_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;       // GUARDED_BY(mutex_)
  boost::asio::io_context io_;  // the flusher thread's loop for the database calls
  std::thread thread_;
};

// The upserts that add `rollups` to the tables.
std::vector<sql::Statement> RollupUpserts(const Rollups& rollups);

}  // namespace keel::validation
