// Database::WriteAll's default: the statements inside one Transaction, for backends without a cheaper way.
#include "storage/sql/database.hpp"

namespace keel::sql {

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
