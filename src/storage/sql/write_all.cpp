// Database's defaults for backends without a cheaper way: WriteAll runs the statements inside one
// Transaction, Insert is an Execute.
#include "storage/sql/database.hpp"

namespace keel::sql {

Task<Result<std::int64_t>> Database::Insert(std::string sql, Params params) {
  co_return co_await Execute(std::move(sql), std::move(params));
}

Task<Result<void>> Database::WriteAll(std::vector<Statement> statements) {
  if (statements.size() == 1) {
    auto written = co_await Write(std::move(statements[0].sql), std::move(statements[0].params));
    if (!written) co_return std::move(written).error();
    co_return Ok();
  }
  co_return co_await Transaction([&statements](Session& session) -> Task<Result<void>> {
    for (const auto& statement : statements) {
      auto done = co_await session.Execute(statement.sql, statement.params);
      if (!done) co_return std::move(done).error();
    }
    co_return Ok();
  });
}

}  // namespace keel::sql
