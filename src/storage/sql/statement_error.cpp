// StatementError: one phrase per error class, the server's text to the log.
#include "storage/sql/statement_error.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>

#include <fmt/format.h>

#include "core/log.hpp"

namespace keel::sql {
namespace {

std::string_view PublicPhrase(ErrorCode code) {
  switch (code) {
    case ErrorCode::kConflict:
      return "the write conflicts with data already stored";
    case ErrorCode::kUnavailable:
      return "the database could not complete the statement now; retry";
    case ErrorCode::kTimeout:
      return "the database did not finish the statement in time";
    case ErrorCode::kTooLarge:
      return "the statement is too large for the database";
    default:
      return "the database refused the statement";
  }
}

bool WarnNow() {
  static std::atomic<std::int64_t> last_warning_ms{0};
  std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::steady_clock::now().time_since_epoch())
                         .count();
  std::int64_t last = last_warning_ms.load(std::memory_order_relaxed);
  return now - last >= 1000 && last_warning_ms.compare_exchange_strong(last, now, std::memory_order_relaxed);
}

}  // namespace

Error StatementError(ErrorCode code, std::string_view state, std::string_view server_text) {
  if (code == ErrorCode::kInternal) return Error{code, fmt::format("{} ({})", server_text, state)};
  auto fields = log::Fields().Add("state", state).Add("error", server_text);
  // A conflict is an expected answer (a taken e-mail address, a unique job key); the others are not, but
  // during a failover every statement fails alike: one warning a second tells as much as thousands.
  if (code != ErrorCode::kConflict && WarnNow())
    log::Warn("database refused a statement", fields);
  else
    log::Debug("database refused a statement", fields);
  return Error{code, fmt::format("{} ({})", PublicPhrase(code), state)};
}

}  // namespace keel::sql
