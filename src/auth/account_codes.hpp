// The flows that run on one-time codes mailed to an account: e-mail verification (verify, resend) and
// password reset (forgot, reset). Codes are issued and their mail enqueued in one transaction; the mail
// itself is sent by a job, never on the request path.
//
// Thread safety: safe from any IO thread.
#pragma once

#include <string>

#include "auth/identity_service.hpp"
#include "auth/otp_service.hpp"
#include "jobs/job_queue.hpp"

namespace keel::auth {

class AccountCodes {
 public:
  AccountCodes(sql::Database& db, IdentityService& identity, OtpService& otp, jobs::JobQueue& jobs,
               BlockingPool& hash_pool, const PasswordHasher& hasher, std::chrono::milliseconds code_ttl);

  // Issues a verification code and enqueues its mail inside the registration transaction; call
  // WakeMailWorkers after the commit.
  Task<Result<void>> StartVerification(sql::Session& session, const std::string& user_id,
                                       const std::string& email);
  // Tells this process's mail workers to look for work now rather than at their next poll.
  void WakeMailWorkers();

  // kValidation (one message for an unknown e-mail, a wrong, expired or used-up code alike).
  Task<Result<User>> Verify(std::string email, std::string code);
  // Mails a new verification code when the account exists and is unverified, at most once per resend
  // interval. Never says which: callers answer 202 whatever happened (no account enumeration).
  Task<Result<void>> ResendVerification(std::string email);
  // Mails a password-reset code when the account exists (same rules as ResendVerification).
  Task<Result<void>> ForgotPassword(std::string email);
  // Sets a new password with a reset code; also verifies the e-mail (the code proves the mailbox) and revokes
  // every refresh token, so other sessions end. REQUIRES: password 10..256 characters.
  Task<Result<void>> ResetPassword(std::string email, std::string code, std::string password);

  // Deletes expired codes and refresh tokens (maintenance); how many rows.
  Task<Result<std::int64_t>> PurgeExpired();

 private:
  struct Account {
    std::string id;
    bool verified = false;
  };
  Task<Result<std::optional<Account>>> FindAccount(const std::string& email);
  // Issues a code for `purpose` and enqueues its mail in one transaction; a resend-interval refusal is not an
  // error here (the caller's answer is the same either way).
  Task<Result<void>> MailCode(const std::string& user_id, const std::string& email,
                              const std::string& purpose);
  Task<Result<void>> IssueAndEnqueue(sql::Session& session, const std::string& user_id,
                                     const std::string& email, const std::string& purpose);

  sql::Database& db_;
  IdentityService& identity_;
  OtpService& otp_;
  jobs::JobQueue& jobs_;
  BlockingPool& hash_pool_;
  const PasswordHasher& hasher_;
  const std::chrono::milliseconds code_ttl_;
};

}  // namespace keel::auth
