// Group commit for writes of one statement or a few: one writer thread with its own connection takes every
// write queued while the previous commit was syncing, runs them in one transaction (each write inside its own
// SAVEPOINT, so a failing write undoes only itself) and commits once. Every caller is answered only after
// that commit is on disk (synchronous=FULL), so batching trades no durability for throughput: one fsync
// serves the whole batch.
//
// Thread safety: Submit may be called from any thread; completions run on the submitter's executor.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/async.hpp"
#include "core/metrics.hpp"
#include "storage/sql/sqlite/sqlite_connection.hpp"
#include "storage/sql/value.hpp"

namespace keel::sql {

class GroupCommitter {
 public:
  GroupCommitter(std::unique_ptr<SqliteConnection> connection, std::size_t queue_limit, Metrics& metrics);
  ~GroupCommitter();
  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;

  // Runs one write statement in the next group commit; its rows (RETURNING) and change count, or its error.
  // kOverloaded when queue_limit writes are already waiting.
  Task<Result<Rows>> Write(std::string sql, Params params);
  // Several statements in one savepoint of the next group commit: all of them, or (on an error) none.
  Task<Result<void>> WriteAll(std::vector<Statement> statements);

  void Stop();

 private:
  // Statements committed together; complete gets the last one's rows.
  struct PendingWrite {
    std::vector<Statement> statements;
    std::function<void(Result<Rows>)> complete;
  };

  Task<Result<Rows>> Submit(std::vector<Statement> statements);

  bool Enqueue(PendingWrite write);
  void Run();
  void CommitBatch(std::deque<PendingWrite>& batch);

  std::unique_ptr<SqliteConnection> connection_;  // used by the writer thread only
  const std::size_t queue_limit_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<PendingWrite> queue_;  // GUARDED_BY(mutex_)
  bool stopping_ = false;           // GUARDED_BY(mutex_)
  std::thread writer_;
  prometheus::Histogram& batch_sizes_;
};

}  // namespace keel::sql
