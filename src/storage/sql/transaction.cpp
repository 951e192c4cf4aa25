// RunTransaction: the begin / body / commit-or-rollback sequence both backends share.
#include "storage/sql/transaction.hpp"

#include <exception>

#include <fmt/format.h>

namespace keel::sql {

Task<Result<void>> RunTransaction(const char* begin, const TransactionControl& control, Session& session,
                                  const std::function<Task<Result<void>>(Session&)>& body) {
  if (auto begun = co_await control(begin); !begun) co_return begun;
  Result<void> outcome = Ok();
  try {
    outcome = co_await body(session);
  } catch (const std::exception& e) {
    outcome = Error{ErrorCode::kInternal, fmt::format("transaction body threw: {}", e.what())};
  }
  if (outcome) {
    auto committed = co_await control("COMMIT");
    if (committed) co_return Ok();
    outcome = std::move(committed);
  }
  (void)co_await control("ROLLBACK");
  co_return outcome;
}

}  // namespace keel::sql
