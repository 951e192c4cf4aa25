// The one shape of a transaction on every backend: BEGIN, the body on the transaction's session, COMMIT when
// the body succeeded, ROLLBACK otherwise. A body that throws is an internal error and rolls back; a COMMIT
// the server refuses is the transaction's error and rolls back too.
#pragma once

#include <functional>

#include "core/async.hpp"
#include "core/result.hpp"
#include "storage/sql/database.hpp"

namespace keel::sql {

// Runs one transaction-control statement (BEGIN ..., COMMIT, ROLLBACK) on the transaction's connection.
using TransactionControl = std::function<Task<Result<void>>(const char* statement)>;

// `begin` is the backend's BEGIN ("BEGIN IMMEDIATE" on SQLite, which takes the write lock up front).
// A ROLLBACK that fails is left to the caller's connection lease, which must not hand an open transaction on.
Task<Result<void>> RunTransaction(const char* begin, const TransactionControl& control, Session& session,
                                  const std::function<Task<Result<void>>(Session&)>& body);

}  // namespace keel::sql
