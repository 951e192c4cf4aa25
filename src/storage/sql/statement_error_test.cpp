// Unit tests of StatementError: client-facing classes carry a phrase and the code, never the server's text;
// internal failures keep it for the log and the operator.
#include "storage/sql/statement_error.hpp"

#include <gtest/gtest.h>

namespace keel::sql {
namespace {

TEST(StatementError, AConflictNamesItsClassAndCodeButNotTheServersText) {
  Error error = StatementError(ErrorCode::kConflict, "23505",
                               "duplicate key value violates unique constraint \"users_email_key\"\n"
                               "DETAIL:  Key (email)=(someone@example.com) already exists.");
  EXPECT_EQ(error.code, ErrorCode::kConflict);
  EXPECT_EQ(error.message, "the write conflicts with data already stored (23505)");
}

TEST(StatementError, UnavailableAndTimeoutHideTheServersTextToo) {
  EXPECT_EQ(
      StatementError(ErrorCode::kUnavailable, "57P01", "terminating connection due to administrator command")
          .message,
      "the database could not complete the statement now; retry (57P01)");
  EXPECT_EQ(
      StatementError(ErrorCode::kTimeout, "57014", "canceling statement due to statement timeout").message,
      "the database did not finish the statement in time (57014)");
}

TEST(StatementError, AnInternalFailureKeepsTheServersText) {
  Error error = StatementError(ErrorCode::kInternal, "42P01", "relation \"taskz\" does not exist");
  EXPECT_EQ(error.code, ErrorCode::kInternal);
  EXPECT_EQ(error.message, "relation \"taskz\" does not exist (42P01)");
}

}  // namespace
}  // namespace keel::sql
