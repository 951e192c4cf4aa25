// GroupCommitter: the queue, the writer thread and the savepoint-per-statement batch.
#include "storage/sql/sqlite/group_committer.hpp"

#include <pthread.h>

#include <optional>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace keel::sql {

namespace asio = boost::asio;

GroupCommitter::GroupCommitter(std::unique_ptr<SqliteConnection> connection, std::size_t queue_limit,
                               Metrics& metrics)
    : connection_(std::move(connection)),
      queue_limit_(queue_limit),
      batch_sizes_(prometheus::BuildHistogram()
                       .Name("keel_db_group_commit_statements")
                       .Help("Write statements committed together in one SQLite transaction (one fsync).")
                       .Register(metrics.registry())
                       .Add({}, prometheus::Histogram::BucketBoundaries{1, 2, 4, 8, 16, 32, 64, 128, 256})) {
  writer_ = std::thread([this] { Run(); });
  pthread_setname_np(writer_.native_handle(), "keel-sql-writer");
}

GroupCommitter::~GroupCommitter() { Stop(); }

void GroupCommitter::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (writer_.joinable()) writer_.join();
}

bool GroupCommitter::Enqueue(PendingWrite write) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || queue_.size() >= queue_limit_) return false;
    queue_.push_back(std::move(write));
  }
  wake_.notify_one();
  return true;
}

Task<Result<Rows>> GroupCommitter::Write(std::string sql, Params params) {
  std::vector<Statement> statements;
  statements.push_back({std::move(sql), std::move(params)});
  co_return co_await Submit(std::move(statements));
}

Task<Result<void>> GroupCommitter::WriteAll(std::vector<Statement> statements) {
  auto written = co_await Submit(std::move(statements));
  if (!written) co_return std::move(written).error();
  co_return Ok();
}

Task<Result<Rows>> GroupCommitter::Submit(std::vector<Statement> statements) {
  std::optional<Result<Rows>> outcome;
  auto initiate = [&](auto handler) {
    auto executor = asio::get_associated_executor(handler);
    auto shared = std::make_shared<decltype(handler)>(std::move(handler));
    PendingWrite write{std::move(statements), [&outcome, shared, executor](Result<Rows> result) {
                         asio::post(executor, [&outcome, shared, result = std::move(result)]() mutable {
                           outcome.emplace(std::move(result));
                           (*shared)();
                         });
                       }};
    if (!Enqueue(std::move(write))) {
      asio::post(executor, [&outcome, shared]() mutable {
        outcome.emplace(Error{ErrorCode::kOverloaded, "too many database writes are waiting"});
        (*shared)();
      });
    }
  };
  co_await asio::async_initiate<const asio::use_awaitable_t<>&, void()>(std::move(initiate),
                                                                        asio::use_awaitable);
  co_return std::move(*outcome);
}

void GroupCommitter::Run() {
  for (;;) {
    std::deque<PendingWrite> batch;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything queued has been written
      batch.swap(queue_);
    }
    CommitBatch(batch);
  }
}

void GroupCommitter::CommitBatch(std::deque<PendingWrite>& batch) {
  batch_sizes_.Observe(static_cast<double>(batch.size()));
  std::vector<Result<Rows>> results;
  results.reserve(batch.size());
  auto begun = connection_->Exec("BEGIN IMMEDIATE");
  if (!begun) {
    for (auto& write : batch) write.complete(begun.error());
    return;
  }
  for (auto& write : batch) {
    (void)connection_->Exec("SAVEPOINT write");
    Result<Rows> rows = Rows{};
    for (const auto& statement : write.statements) {
      rows = connection_->Run(statement.sql, statement.params);
      if (!rows) break;
    }
    if (rows) {
      (void)connection_->Exec("RELEASE write");
      results.emplace_back(std::move(rows).value());
    } else {
      (void)connection_->Exec("ROLLBACK TO write; RELEASE write");
      results.emplace_back(std::move(rows).error());
    }
  }
  if (auto committed = connection_->Exec("COMMIT"); !committed) {
    (void)connection_->Exec("ROLLBACK");
    for (auto& write : batch) write.complete(committed.error());
    return;
  }
  for (std::size_t i = 0; i < batch.size(); ++i) batch[i].complete(std::move(results[i]));
}

}  // namespace keel::sql
