// One-time codes for e-mail verification and password reset: six digits, stored as a keyed hash, expiring,
// dead after too many wrong tries, and not re-issued more often than the resend interval.
//
// Thread safety: safe from any IO thread (the Database is).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "core/async.hpp"
#include "core/result.hpp"
#include "storage/sql/database.hpp"

namespace keel::auth {

struct OtpOptions {
  std::chrono::milliseconds ttl{std::chrono::minutes(10)};
  int max_attempts = 5;
  std::chrono::milliseconds resend_interval{std::chrono::seconds(60)};
};

class OtpService {
 public:
  // `key` keys the code hash, so a stolen table cannot be brute-forced offline (a million codes otherwise).
  OtpService(sql::Database& db, std::string key, OtpOptions options);

  // Issues a fresh code for (user, purpose) inside the caller's transaction, replacing any earlier one, and
  // returns it in clear (for the mail). kRateLimited, message = seconds to wait, while the previous code is
  // younger than the resend interval.
  Task<Result<std::string>> Issue(sql::Session& session, std::string user_id, std::string purpose,
                                  std::int64_t now_ms);

  // Checks a code and, when right, deletes it (single use). A wrong code counts against the code and that
  // count is committed even though the answer is an error; the code dies at max_attempts. kValidation, one
  // message for every failure, so the answer says nothing about which part was wrong.
  Task<Result<void>> Consume(std::string user_id, std::string purpose, std::string code, std::int64_t now_ms);

  // Deletes expired codes; how many (maintenance).
  Task<Result<std::int64_t>> PurgeExpired(std::int64_t now_ms);

 private:
  std::string Hash(const std::string& user_id, const std::string& purpose, const std::string& code) const;

  sql::Database& db_;
  unsigned char key_[32];  // derived once from the secret given to the constructor
  const OtpOptions options_;
};

// The one answer to every failed code check (unknown account, wrong, expired or used-up code alike), so it
// tells an attacker nothing.
Error InvalidCode();

// A uniformly random six-digit code ("042917").
std::string NewOtpCode();

}  // namespace keel::auth
