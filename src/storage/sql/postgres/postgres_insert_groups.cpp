// PostgresDatabase::Insert: inserts from concurrent callers grouped into one round trip and one commit.
//
// Every commit waits for its WAL flush, and every statement through pgBouncer costs a round trip and a
// transaction on each of Keel, pgBouncer and PostgreSQL. Under load, the inserts that arrive while a group is
// being written wait and go together in the next one: at most max_connections groups run at once, and an
// insert that finds a free slot leads a group at once, so a lone insert waits for nothing. A group is one
// libpq pipeline (one Sync: one implicit transaction); when one of its inserts fails, none committed, and
// each is run again on its own so only the failing one fails.
#include "storage/sql/postgres/postgres_database.hpp"

#include <algorithm>
#include <utility>

#include "storage/sql/postgres/pg_connection.hpp"

namespace keel::sql {
namespace {

// Bounds a group's pipeline (and the time its last member waits for the first one's statement).
constexpr std::size_t kMaxInsertGroup = 64;

}  // namespace

struct PostgresDatabase::GroupedInsert {
  Statement statement;
  std::function<void()> resume;  // set while it waits in inserts_waiting_
  bool lead = false;             // set before resume: this caller runs the next group
  Result<Rows> outcome = Error{ErrorCode::kInternal, "the insert was not run"};
};

Task<Result<std::int64_t>> PostgresDatabase::Insert(std::string sql, Params params) {
  auto insert = std::make_shared<GroupedInsert>();
  insert->statement = Statement{std::move(sql), std::move(params)};
  {
    std::lock_guard lock(mutex_);
    if (insert_groups_running_ < options_.max_connections) {
      ++insert_groups_running_;
      insert->lead = true;
    }
  }
  if (!insert->lead) {
    const std::function<void(std::function<void()>)> wait = [this, insert](std::function<void()> done) {
      std::unique_lock lock(mutex_);
      if (insert_groups_running_ < options_.max_connections) {  // a group ended since the look above
        ++insert_groups_running_;
        insert->lead = true;
        lock.unlock();
        done();
        return;
      }
      insert->resume = std::move(done);
      inserts_waiting_.push_back(insert);
    };
    co_await detail::AwaitSignal(wait);
  }
  if (insert->lead) co_await LeadInsertGroup(insert);
  if (!insert->outcome) co_return std::move(insert->outcome).error();
  co_return insert->outcome->affected;
}

Task<void> PostgresDatabase::LeadInsertGroup(std::shared_ptr<GroupedInsert> leader) {
  std::vector<std::shared_ptr<GroupedInsert>> group{leader};
  {
    std::lock_guard lock(mutex_);
    while (!inserts_waiting_.empty() && group.size() < kMaxInsertGroup) {
      group.push_back(std::move(inserts_waiting_.front()));
      inserts_waiting_.pop_front();
    }
  }
  co_await RunInsertGroup(group);
  std::shared_ptr<GroupedInsert> next;
  {
    std::lock_guard lock(mutex_);
    if (inserts_waiting_.empty()) {
      --insert_groups_running_;
    } else {  // the slot passes to the oldest waiter, which leads the next group on its own coroutine
      next = std::move(inserts_waiting_.front());
      inserts_waiting_.pop_front();
      next->lead = true;
    }
  }
  for (std::size_t i = 1; i < group.size(); ++i) std::exchange(group[i]->resume, nullptr)();
  if (next) std::exchange(next->resume, nullptr)();
}

Task<void> PostgresDatabase::RunInsertGroup(const std::vector<std::shared_ptr<GroupedInsert>>& group) {
  auto acquired = co_await Acquire();
  if (!acquired) {
    for (const auto& member : group) member->outcome = acquired.error();
    co_return;
  }
  Lease lease(*this, std::move(acquired).value());
  const auto timeout = options_.statement_timeout;
  insert_groups_.Increment();
  grouped_inserts_.Increment(static_cast<double>(group.size()));
  if (group.size() > 1) {
    std::vector<const Statement*> statements;
    statements.reserve(group.size());
    for (const auto& member : group) statements.push_back(&member->statement);
    auto outcomes = co_await lease->RunPipeline(statements, timeout);
    if (outcomes && std::all_of(outcomes->begin(), outcomes->end(), [](const auto& o) { return o.ok(); })) {
      for (std::size_t i = 0; i < group.size(); ++i) group[i]->outcome = std::move((*outcomes)[i]);
      NoteAnswered();
      co_return;
    }
    if (!outcomes && !lease->Usable()) {
      // Lost or timed out: whether the group committed is unknown, as it is for a single statement then.
      for (const auto& member : group) member->outcome = outcomes.error();
      co_return;
    }
  }
  for (const auto& member : group)
    member->outcome = co_await lease->Run(member->statement.sql, member->statement.params, timeout);
  if (lease->Usable()) NoteAnswered();
}

}  // namespace keel::sql
